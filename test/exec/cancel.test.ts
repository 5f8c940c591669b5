// Job timeout and cancellation: the running stage's whole process group gets SIGTERM, then SIGKILL
// after the graceful timeout; remaining stages are skipped and cleanup still runs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { execFixture, fixtureDriver, fixtureJob, processGone, stageOrder, type FixtureJob } from "./fixtures/exec-helper.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const hangingJob = "test:\n  script: [echo started]\n  after_script: [echo after]\n";

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

// The stage was stopped through its process group: the driver saw SIGTERM, its child is gone too.
function assertStoppedByGroupSignal(job: FixtureJob, stage: string) {
  const records = job.records();
  const hanging = records.find((r) => r.event === "hanging" && r.runStage === stage);
  assert.ok(hanging, `the ${stage} stage started hanging`);
  const sigterm = records.findIndex((r) => r.event === "sigterm" && r.runStage === stage);
  assert.ok(sigterm >= 0, `the ${stage} driver process got SIGTERM`);
  const cleanup = records.findIndex((r) => r.event === "call" && r.stage === "cleanup");
  assert.ok(cleanup > sigterm, "cleanup runs after the stage was stopped");
  assert.ok(processGone(hanging.childPid!), "the driver's child (same process group) was stopped too");
}

describe("exec timeouts and cancellation", { timeout: 120_000 }, () => {
  it("stops the running stage when the job timeout expires, skips the rest and cleans up", async () => {
    const job = fixtureJob(hangingJob.replace("test:\n", "test:\n  timeout: 2s\n"), { FIXTURE_HANG_BUILD_SCRIPT: "1" });
    const run = await execFixture(job);
    assert.equal(run.code, 1);
    assertStoppedByGroupSignal(job, "build_script");
    assert.deepEqual(stageOrder(job.records()), ["config", "prepare", "run:prepare_script", "run:get_sources", "run:build_script", "cleanup"]);
    assert.match(run.log, /ERROR: Job failed: execution took longer than 2s seconds\n$/);
  });

  it("stops a config call that exceeds its exec timeout: a system failure, retried, and no cleanup", async () => {
    const job = fixtureJob(hangingJob, { FIXTURE_HANG_CONFIG: "1" });
    const run = await execFixture(job, "test", { execTimeoutMs: 1000 });
    assert.equal(run.code, 2);
    assert.deepEqual(stageOrder(job.records()), ["config", "config", "config"]);
    assert.equal(job.records().filter((r) => r.event === "sigterm").length, 3);
    assert.match(run.log, /ERROR: Job failed \(system failure\): config did not finish within 1s \(config_exec_timeout\) and was stopped\n$/);
  });

  it("SIGKILLs the group after the graceful timeout when the driver ignores SIGTERM", async () => {
    const job = fixtureJob(hangingJob, { FIXTURE_HANG_BUILD_SCRIPT: "1", FIXTURE_IGNORE_TERM: "1" });
    const cancel = new AbortController();
    const running = execFixture(job, "test", { abortSignal: cancel.signal, gracefulKillTimeoutMs: 300 });
    await waitFor("the hanging stage", () => job.records().some((r) => r.event === "hanging"));
    cancel.abort();
    const run = await running;
    assert.equal(run.code, 130);
    assertStoppedByGroupSignal(job, "build_script");
    const driverPid = job.calls().find((c) => c.runStage === "build_script")!.pid;
    assert.ok(processGone(driverPid), "the driver that ignored SIGTERM was killed");
    assert.match(run.log, /ERROR: Job failed: canceled\n$/);
  });

  it("keeps the job's verdict when cancelled during the final cleanup, which is not interrupted", async () => {
    const job = fixtureJob(hangingJob, { FIXTURE_SLOW_CLEANUP: "3000" });
    const cancel = new AbortController();
    const running = execFixture(job, "test", { abortSignal: cancel.signal });
    await waitFor("cleanup to start", () => job.calls().some((c) => c.stage === "cleanup"));
    cancel.abort();
    const run = await running;
    assert.equal(run.code, 0, run.log);
    assert.equal(job.records().filter((r) => r.event === "sigterm").length, 0, "cleanup got no signal");
    assert.match(run.log, /WARNING: Received SIGINT: the job is over; waiting for the driver's cleanup, which is not interrupted\nJob succeeded\n$/);
  });

  it("cancels during preparation too, and still cleans up", async () => {
    const job = fixtureJob(hangingJob, { FIXTURE_HANG_PREPARE: "1" });
    const cancel = new AbortController();
    const running = execFixture(job, "test", { abortSignal: cancel.signal });
    await waitFor("the hanging prepare", () => job.records().some((r) => r.event === "hanging"));
    cancel.abort();
    const run = await running;
    assert.equal(run.code, 130);
    assert.deepEqual(stageOrder(job.records()), ["config", "prepare", "cleanup"]);
    assert.match(run.log, /ERROR: Job failed: canceled\n$/);
  });

  for (const signals of [["SIGTERM"], ["SIGINT", "SIGINT"]] as const) {
    it(`handles ${signals.join(" then ")} sent to the fargate exec process`, async () => {
      // With a driver that ignores SIGTERM and a long graceful timeout, only a second signal ends it quickly.
      const ignore: Record<string, string> = signals.length > 1 ? { FIXTURE_IGNORE_TERM: "1" } : {};
      const job = fixtureJob(hangingJob, { FIXTURE_HANG_BUILD_SCRIPT: "1", ...ignore });
      const opts = {
        file: job.ciFile, configPath: `${job.dir}/fargate.toml`, job: "test", driverGlobalArgs: ["--config", `${job.dir}/fargate.toml`],
        driverCommand: [process.execPath, fixtureDriver], env: job.env, tmpDir: job.tmpRoot,
        gracefulKillTimeoutMs: signals.length > 1 ? 120_000 : 5000,
      };
      const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/exec-main.ts"), JSON.stringify(opts)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (log += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (log += d));
      let gone = false;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => {
        gone = true;
        resolve(code);
      }));
      try {
        await waitFor("the hanging stage", () => {
          if (gone) throw new Error(`fargate exec exited early:\n${log}`);
          return job.records().some((r) => r.event === "hanging");
        });
        child.kill(signals[0]);
        await waitFor("exec to notice the signal", () => log.includes(`Received ${signals[0]}`));
        if (signals.length > 1) {
          await waitFor("the SIGTERM to reach the driver", () => job.records().some((r) => r.event === "sigterm"));
          child.kill(signals[1]!);
        }
        assert.equal(await exited, 130, log);
      } finally {
        child.kill("SIGKILL");
      }
      assertStoppedByGroupSignal(job, "build_script");
      assert.match(log, new RegExp(`WARNING: Received ${signals[0]}: stopping the job`));
      if (signals.length > 1) assert.match(log, /Received SIGINT again: killing the running stage now/);
      assert.match(log, /ERROR: Job failed: canceled\n$/);
    });
  }
});
