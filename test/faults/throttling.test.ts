// Fault matrix, throttling: every AWS call the driver makes rides out ThrottlingException /
// RequestLimitExceeded (beyond the SDK's own quick retries) with jittered backoff, and succeeds once
// the bucket refills; a real emulator bucket drained by concurrent prepares refills and all jobs run.
// Operation faults match no task, so these cases run one after another.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fullJitterMs } from "../../src/aws/backoff.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoSecret, type CliResult, FaultCase, sshKindSkip } from "./support.js";

/** A prepare that rode out throttling: success, no error or warning beyond the throttling notices, its task started and ready. */
function assertThrottledPrepareSucceeded(prepare: CliResult, taskArn: string, address: string): void {
  assert.equal(prepare.code, 0, prepare.stderr);
  assert.equal(prepare.stdout, "");
  assert.match(prepare.stderr, new RegExp(`Started task ${taskArn} \\(RunTask \\d+\\.\\d s\\)`));
  const ready = /Task ready in \d+\.\d s \(RunTask \d+\.\d s, to RUNNING \d+\.\d s, to SSH \d+\.\d s\) at (\S+):22$/m.exec(prepare.stderr);
  assert.equal(ready?.[1], address, prepare.stderr);
  const problems = prepare.stderr.split("\n").filter((line) => /^(ERROR|WARN)/.test(line) && !/RunTask throttled \(attempt \d+\)/.test(line));
  assert.deepEqual(problems, [], prepare.stderr);
}

interface Request {
  operation: string;
  outcome: string;
  parameters?: { startedBy?: string };
}

describe("throttling backoff", () => {
  it("uses full jitter under an exponential cap", () => {
    assert.equal(fullJitterMs(1, 250, 5000, () => 0), 0);
    assert.equal(fullJitterMs(1, 250, 5000, () => 0.999), 249);
    assert.equal(fullJitterMs(3, 250, 5000, () => 0.5), 500);
    assert.equal(fullJitterMs(30, 250, 5000, () => 0.999), 4995);
    const samples = new Set(Array.from({ length: 50 }, () => fullJitterMs(4, 250, 5000)));
    assert.ok(samples.size > 10, "pauses are spread out, not in lockstep");
  });
});

describe("throttling through the CLI (embedded sshd)", { skip: await sshKindSkip("embedded") }, () => {
  let emulator: EmulatorHandle;
  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.03 });
  });
  after(async () => {
    await emulator?.stop();
  });

  async function calls(operation: string): Promise<string[]> {
    return ((await emulator.requests()) as Request[]).filter((r) => r.operation === operation).map((r) => r.outcome);
  }

  it("RunTask and StopTask throttled longer than the SDK retries: prepare and cleanup still succeed, one task", async () => {
    const c = new FaultCase(emulator, "throttle-run");
    await emulator.control("DELETE", "/_emulator/requests");
    await emulator.addFaults([{ op: "RunTask", error: "ThrottlingException", times: 7 }]);
    const prepare = await c.cli(["prepare"]);
    assert.equal(prepare.code, 0, prepare.stderr);
    assert.match(prepare.stderr, /RunTask throttled \(attempt 1\); retrying in \d+\.\d s/);
    assert.deepEqual(await calls("RunTask"), [...Array(7).fill("ThrottlingException"), "ok"]);
    assert.equal((await c.tasks()).length, 1, "throttled attempts start no extra task");
    const key = c.recordedKey();

    await emulator.addFaults([{ op: "StopTask", error: "ThrottlingException", times: 7 }]);
    await c.cleanupAndCheck();
    assert.deepEqual(await calls("StopTask"), [...Array(7).fill("ThrottlingException"), "ok"]);
    assertNoSecret(c.outputs, key, "private key");
  });

  it("DescribeTasks and EC2 DescribeNetworkInterfaces throttled: prepare waits it out", async () => {
    const c = new FaultCase(emulator, "throttle-describe");
    await emulator.control("DELETE", "/_emulator/requests");
    await emulator.addFaults([
      { op: "DescribeTasks", error: "ThrottlingException", times: 10 },
      { op: "DescribeNetworkInterfaces", error: "RequestLimitExceeded", times: 7 },
    ]);
    c.config({ fargate: "  EnablePublicIP = true" });
    const prepare = await c.cli(["prepare"]);
    assert.equal(prepare.code, 0, prepare.stderr);
    assert.equal((await calls("DescribeTasks")).filter((o) => o === "ThrottlingException").length, 10);
    assert.deepEqual(await calls("DescribeNetworkInterfaces"), [...Array(7).fill("RequestLimitExceeded"), "ok"]);
    const [task] = await c.tasks();
    assert.ok(task?.publicIp);
    assert.equal(JSON.parse((await import("node:fs")).readFileSync(c.statePath, "utf8")).address, task.publicIp);
    assertThrottledPrepareSucceeded(prepare, task.taskArn, task.publicIp);
    await c.cleanupAndCheck();
  });

  it("a drained RunTask bucket refills: concurrent prepares are throttled, then all start", async () => {
    await emulator.control("DELETE", "/_emulator/requests");
    await emulator.control("PUT", "/_emulator/throttling", { enabled: true, rates: { runTask: { burst: 1, perSecond: 1 } } });
    try {
      const cases = Array.from({ length: 4 }, (_, i) => new FaultCase(emulator, `bucket-${i}`));
      const results = await Promise.all(cases.map((c) => c.cli(["prepare"])));
      const outcomes = await calls("RunTask");
      assert.ok(outcomes.includes("ThrottlingException"), `the bucket was drained: ${outcomes.join(", ")}`);
      assert.equal(outcomes.filter((o) => o === "ok").length, 4);
      for (const [i, c] of cases.entries()) {
        const tasks = await c.tasks();
        assert.equal(tasks.length, 1);
        assertThrottledPrepareSucceeded(results[i]!, tasks[0]!.taskArn, tasks[0]!.privateIp);
      }
      for (const c of cases) await c.cleanupAndCheck();
    } finally {
      await emulator.control("PUT", "/_emulator/throttling", { enabled: true, rates: { runTask: { burst: 20, perSecond: 20 } } });
    }
  });
});
