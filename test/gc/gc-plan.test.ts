// gc's pure parts: options, the ownership markers and the decisions, over hand-made tasks and
// state entries (the end-to-end behaviour is in gc-cli.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InventoryTask } from "../../src/aws/task-inventory.js";
import { parseCommandLine } from "../../src/cli-args.js";
import { gcOptionsFrom } from "../../src/gc/options.js";
import { isRunnersTask, runnerOfStateId } from "../../src/gc/ownership.js";
import { formatAge, planRunner, type RunnerView } from "../../src/gc/plan.js";
import type { StateEntry } from "../../src/gc/state-scan.js";

const TOKEN = "abc123XYZ";
const NOW = new Date("2026-12-03T12:00:00Z");
const HEX = "0".repeat(64);
const options = gcOptionsFrom({ runner: [TOKEN] });

function task(arn: string, ageMs: number, overrides: Partial<InventoryTask> = {}): InventoryTask {
  return {
    arn,
    startedBy: `gitlab-fargate-${TOKEN}`,
    tags: { "gitlab-runner:runner": TOKEN, "gitlab-runner:driver": "gitlab-fargate-driver", "gitlab-runner:job-id": "1" },
    createdAt: new Date(NOW.getTime() - ageMs),
    lastStatus: "RUNNING",
    desiredStatus: "RUNNING",
    ...overrides,
  };
}

function entry(arn: string | undefined, ageMs: number): StateEntry {
  const id = `${TOKEN}-${HEX}`;
  return {
    id,
    path: `/m/${id}.json`,
    runner: TOKEN,
    state:
      arn === undefined
        ? undefined
        : { version: 1, id, jobId: "7", region: undefined, cluster: "c", taskArn: arn, privateKey: "k", createdAt: new Date(NOW.getTime() - ageMs).toISOString() },
    problem: arn === undefined ? "damaged" : undefined,
    writtenAt: new Date(NOW.getTime() - ageMs),
  };
}

function view(partial: Partial<RunnerView>): RunnerView {
  return { token: TOKEN, cluster: "c", region: "r", listed: [], states: [], temps: [], staleTasks: new Map(), now: NOW, options, ...partial };
}

const HOUR = 3_600_000;

describe("gc: options and ownership", () => {
  it("defaults to --older-than 10m and --stale-after 24h; requires an exact --runner", () => {
    assert.deepEqual(options, { runners: [TOKEN], olderThanMs: 600_000, staleAfterMs: 24 * HOUR, dryRun: false });
    assert.throws(() => gcOptionsFrom({}), /--runner SHORT_TOKEN is required/);
    assert.throws(() => gcOptionsFrom({ runner: ["ab/c"] }), /expected a runner short token/);
    assert.throws(() => gcOptionsFrom({ runner: [TOKEN], "older-than": "0s" }), /--older-than: expected a duration/);
    assert.throws(() => gcOptionsFrom({ runner: [TOKEN], "stale-after": "1d" }), /--stale-after: expected a duration/);
  });

  it("parses gc's flags, repeated runners and global flags after the command", () => {
    const command = parseCommandLine(["gc", "--runner", "a1", "--runner", "b2", "--dry-run", "--older-than", "5m", "--config", "f.toml", "--debug"]);
    assert.equal(command.kind, "gc");
    if (command.kind !== "gc") return;
    assert.deepEqual(command.gc, { runner: ["a1", "b2"], "older-than": "5m", "stale-after": undefined, "dry-run": true });
    assert.equal(command.flags.config, "f.toml");
    assert.equal(command.flags.debug, true);
    assert.deepEqual(parseCommandLine(["gc", "--help"]), { kind: "help", topic: "gc" });
    assert.throws(() => parseCommandLine(["gc", "--runner", "a", "extra"]), /takes no arguments/);
  });

  it("a task is the runner's only when startedBy and both tags match exactly", () => {
    assert.equal(isRunnersTask(task("t", 0), TOKEN), true);
    // A token that is a prefix of another must not match it.
    assert.equal(isRunnersTask(task("t", 0, { startedBy: `gitlab-fargate-${TOKEN}0` }), TOKEN), false);
    assert.equal(isRunnersTask(task("t", 0, { startedBy: undefined }), TOKEN), false);
    assert.equal(isRunnersTask(task("t", 0, { tags: { "gitlab-runner:runner": TOKEN } }), TOKEN), false);
    assert.equal(isRunnersTask(task("t", 0, { tags: { "gitlab-runner:runner": "other", "gitlab-runner:driver": "gitlab-fargate-driver" } }), TOKEN), false);
    assert.equal(runnerOfStateId(`${TOKEN}-${HEX}`), TOKEN);
    assert.equal(runnerOfStateId(`with-dash-${HEX}`), "with-dash");
    assert.equal(runnerOfStateId("notes"), undefined);
  });
});

describe("gc: decisions", () => {
  it("stops an old task no fresh state names; leaves live, young, undated and stopping tasks", () => {
    const decisions = planRunner(
      view({
        listed: [
          task("orphan", 2 * HOUR),
          task("live", 5 * HOUR),
          task("young", 60_000),
          task("undated", 5 * HOUR, { createdAt: undefined }),
          task("stopping", 5 * HOUR, { desiredStatus: "STOPPED" }),
          task("foreign", 5 * HOUR, { tags: {} }),
        ],
        states: [entry("live", 3 * HOUR)],
      }),
    );
    const summary = decisions.map((d) => (d.action === "stop" ? `stop ${d.task.arn}` : d.action === "keep" ? `keep ${d.what} ${d.reason}` : d.action));
    assert.deepEqual(summary, ["stop orphan", "keep task live live", "keep task young young", "keep task undated young", "keep task foreign not-ours"]);
  });

  it("a fresh state file that cannot be read stops nothing (its task is unknown); a stale damaged one is reported", () => {
    const blocked = planRunner(view({ listed: [task("orphan", 2 * HOUR)], states: [entry(undefined, HOUR)] }));
    assert.deepEqual(blocked.map((d) => d.action === "keep" && d.reason), ["unknown-state"]);
    const damaged = planRunner(view({ states: [entry(undefined, 48 * HOUR)] }));
    assert.deepEqual(damaged.map((d) => d.action === "keep" && d.reason), ["damaged-state"]);
  });

  it("a stale state file: its running task is stopped, then the file deleted; a gone task only deletes the file", () => {
    const stale = entry("old", 30 * HOUR);
    const decisions = planRunner(view({ states: [stale], listed: [task("old", 30 * HOUR)], staleTasks: new Map([["old", task("old", 30 * HOUR)]]) }));
    assert.equal(decisions.length, 1, "the listed task is handled once");
    const stop = decisions[0];
    assert.ok(stop?.action === "stop");
    assert.equal(stop.state, stale);
    assert.equal(stop.cluster, "c");
    assert.equal(stop.region, "r", "the state's region, else the configured one");
    assert.equal(stop.why, "its job's state file is stale (written 30h ago)");
    const gone = planRunner(view({ states: [entry("gone", 30 * HOUR)] }));
    assert.deepEqual(gone.map((d) => d.action), ["delete-state"]);
    const notOurs = planRunner(view({ states: [entry("x", 30 * HOUR)], staleTasks: new Map([["x", task("x", 30 * HOUR, { startedBy: "someone" })]]) }));
    assert.deepEqual(notOurs.map((d) => d.action === "keep" && d.reason), ["not-ours"]);
  });

  it("formats ages compactly", () => {
    assert.deepEqual([5_000, 12 * 60_000, 2 * HOUR, 3 * HOUR + 20 * 60_000, 30 * HOUR, 72 * HOUR].map(formatAge), ["5s", "12m", "2h", "3h20m", "30h", "3d"]);
  });
});
