// waitUntilRunning's decisions over scripted DescribeTasks answers (a stub client: these are
// sequences the emulator does not produce on demand, such as a task MISSING right after RunTask).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Task } from "@aws-sdk/client-ecs";
import type { AwsClients } from "../../src/aws/clients.js";
import { POLL_INTERVAL_MS } from "../../src/aws/polling.js";
import { EcsTaskRuntime } from "../../src/aws/task-runtime.js";
import { DriverError } from "../../src/errors.js";

const ARN = "arn:aws:ecs:us-east-2:123456789012:task/test-cluster/abcdef0123456789";

type Answer = { tasks?: Task[]; failures?: { arn: string; reason: string }[] } | Error;

function runtimeAnswering(answers: Answer[]): { runtime: EcsTaskRuntime; calls: () => number } {
  let calls = 0;
  const ecs = {
    send: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  const clients = { ecs, ec2: async () => assert.fail("no EC2 here"), destroy: () => undefined } as unknown as AwsClients;
  return { runtime: new EcsTaskRuntime(clients, "test-cluster"), calls: () => calls };
}

const status = (lastStatus: string, extra: Partial<Task> = {}): Answer => ({ tasks: [{ taskArn: ARN, lastStatus, desiredStatus: "RUNNING", ...extra }] });
const missing: Answer = { tasks: [], failures: [{ arn: ARN, reason: "MISSING" }] };
const throttled = (): Error => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

describe("waitUntilRunning", () => {
  it("tolerates a task MISSING right after RunTask and reports each status change once", async () => {
    const { runtime } = runtimeAnswering([missing, status("PROVISIONING"), status("PROVISIONING"), status("PENDING"), status("RUNNING")]);
    const seen: string[] = [];
    const task = await runtime.waitUntilRunning(ARN, { timeoutMs: 30_000, signal: new AbortController().signal, onStatus: (s) => seen.push(s) });
    assert.equal(task.lastStatus, "RUNNING");
    assert.deepEqual(seen, ["PROVISIONING", "PENDING", "RUNNING"]);
  });

  it("keeps polling through throttling", async () => {
    const { runtime, calls } = runtimeAnswering([throttled(), throttled(), status("RUNNING")]);
    const task = await runtime.waitUntilRunning(ARN, { timeoutMs: 30_000, signal: new AbortController().signal });
    assert.equal(task.lastStatus, "RUNNING");
    assert.equal(calls(), 3);
  });

  it("fails at once on other errors", async () => {
    const denied = Object.assign(new Error("not allowed"), { name: "AccessDeniedException" });
    const { runtime } = runtimeAnswering([denied]);
    await assert.rejects(runtime.waitUntilRunning(ARN, { timeoutMs: 30_000, signal: new AbortController().signal }), {
      message: "describing task: AccessDeniedException: not allowed",
    });
  });

  it("reports a task that stops before RUNNING with its reasons", async () => {
    const stopped = status("STOPPED", {
      desiredStatus: "STOPPED",
      stopCode: "TaskFailedToStart",
      stoppedReason: "ResourceInitializationError: unable to pull secrets",
      containers: [{ name: "ci-coordinator", reason: "CannotPullContainerError: denied" }],
    });
    const { runtime } = runtimeAnswering([status("PENDING"), stopped]);
    await assert.rejects(runtime.waitUntilRunning(ARN, { timeoutMs: 30_000, signal: new AbortController().signal }), (err: unknown) => {
      assert.ok(err instanceof DriverError && err.code === "task_stopped");
      assert.equal(
        err.message,
        "task abcdef0123456789 stopped before RUNNING: TaskFailedToStart: ResourceInitializationError: unable to pull secrets; " +
          "container ci-coordinator: CannotPullContainerError: denied",
      );
      return true;
    });
  });

  it("gives up after the start timeout, naming the last status", async () => {
    const { runtime } = runtimeAnswering([status("PENDING")]);
    await assert.rejects(runtime.waitUntilRunning(ARN, { timeoutMs: 700, signal: new AbortController().signal }), {
      message: /^task abcdef0123456789 not RUNNING after 0\.7 s \(last status PENDING\)/,
    });
  });

  it("stops waiting promptly when cancelled", async () => {
    const { runtime } = runtimeAnswering([status("PENDING")]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await assert.rejects(runtime.waitUntilRunning(ARN, { timeoutMs: 30_000, signal: controller.signal }), { name: "DriverError", message: /^cancelled while the task was PENDING/ });
    assert.ok(Date.now() - started < 1000);
  });
  it("polls again as soon as wakeWhen settles, asks for it until it gets one, and uses it once", async () => {
    const { runtime } = runtimeAnswering([status("PENDING"), status("ACTIVATING"), status("ACTIVATING"), status("RUNNING")]);
    const asked: string[] = [];
    const seenAt: number[] = [];
    const started = Date.now();
    await runtime.waitUntilRunning(ARN, {
      timeoutMs: 30_000,
      signal: new AbortController().signal,
      onStatus: () => seenAt.push(Date.now() - started),
      // No address while PENDING; once ACTIVATING, "the port is open" at once.
      wakeWhen: (task) => (asked.push(task.lastStatus ?? ""), task.lastStatus === "ACTIVATING" ? Promise.resolve() : undefined),
    });
    assert.deepEqual(asked, ["PENDING", "ACTIVATING"]);
    const [, activating, running] = seenAt as [number, number, number];
    // PENDING -> ACTIVATING waits one interval; the wake-up makes the next look immediate, after
    // which the plain interval applies again (ACTIVATING, then RUNNING one interval later).
    assert.ok(activating >= POLL_INTERVAL_MS * 0.9, `first interval kept (${activating} ms)`);
    // Without the wake-up, RUNNING would come two intervals after ACTIVATING.
    const gap = running - activating;
    assert.ok(gap >= POLL_INTERVAL_MS * 0.9 && gap < POLL_INTERVAL_MS * 1.8, `one immediate look, then one interval (${gap} ms)`);
  });
});
