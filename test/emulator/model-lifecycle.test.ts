// Lifecycle unit tests on a fake clock: phase order and durations, timestamps, container start
// and stop, every way a task stops, one timer per task.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fakeEmulator, seedRunTask } from "../../emulator/testing/model-harness.js";
import { fargateDurations as d } from "../../emulator/model/durations.js";

const toRunning = d.provisioningMs + d.pendingMs + d.activatingMs;

async function runOne(h: ReturnType<typeof fakeEmulator>, extra: Record<string, unknown> = {}) {
  const out = await h.call("RunTask", seedRunTask(extra));
  assert.equal(out.tasks.length, 1, JSON.stringify(out.failures));
  const task = h.ctx.world.task(out.tasks[0].taskArn)!;
  return { wire: out.tasks[0], task };
}

test("a task walks PROVISIONING..RUNNING with Fargate-like durations, then the SSH server starts", async () => {
  const h = fakeEmulator();
  const { wire, task } = await runOne(h);
  assert.equal(wire.lastStatus, "PROVISIONING");
  assert.equal(wire.desiredStatus, "RUNNING");
  assert.equal(wire.attachments[0].status, "PRECREATED");
  assert.ok(toRunning >= 30_000 && toRunning <= 45_000, `RUNNING after ${toRunning} ms at scale 1`);
  const seen: string[] = [];
  let t = 0;
  const step = 500;
  while (t < toRunning + d.sshdDelayMs + step) {
    await h.clock.advance(step);
    t += step;
    if (seen.at(-1) !== task.lastStatus) seen.push(task.lastStatus);
    assert.ok(h.clock.pending() <= 1, "one timer per task at most");
  }
  assert.deepEqual(seen, ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]);
  assert.equal(task.startedAt! - task.createdAt, toRunning);
  assert.ok(task.connectivityAt! <= task.pullStartedAt! && task.pullStartedAt! < task.pullStoppedAt! && task.pullStoppedAt! < task.startedAt!);
  assert.equal(task.eni.status, "ATTACHED");
  assert.equal(h.runtime.starts.length, 1);
  const launch = h.runtime.starts[0]!.launch;
  assert.equal(launch.taskId, task.id);
  assert.deepEqual(launch.addresses, [task.eni.privateIp, task.eni.publicIp]);
  assert.equal(launch.port, 22);
  assert.equal(launch.authorizedKey, "ssh-ed25519 AAAAKEY test");
  assert.ok(launch.workDir.endsWith(task.id));
  assert.equal(task.sshRunning, true);
  assert.equal(task.timings.sshStarted! - task.startedAt!, d.sshdDelayMs);
});

test("time scale multiplies every duration", async () => {
  const h = fakeEmulator({ timeScale: 0.02 });
  const { task } = await runOne(h);
  await h.clock.advance(Math.round(toRunning * 0.02) - 1);
  assert.notEqual(task.lastStatus, "RUNNING");
  await h.clock.advance(1);
  assert.equal(task.lastStatus, "RUNNING");
});

test("StopTask: desiredStatus STOPPED at once, DEACTIVATING, STOPPING stops the container with the scaled stopTimeout", async () => {
  const h = fakeEmulator({ timeScale: 0.5 });
  const { task } = await runOne(h);
  await h.clock.advance((toRunning + d.sshdDelayMs) * 0.5);
  assert.equal(task.sshRunning, true);
  const out = await h.call("StopTask", { cluster: "test-cluster", task: task.arn, reason: "job done" });
  assert.equal(out.task.desiredStatus, "STOPPED");
  assert.equal(out.task.lastStatus, "DEACTIVATING");
  assert.equal(out.task.stopCode, "UserInitiated");
  assert.equal(out.task.stoppedReason, "job done");
  const seen: string[] = [task.lastStatus];
  for (let i = 0; i < 100 && task.lastStatus !== "STOPPED"; i++) {
    await h.clock.advance(250);
    if (seen.at(-1) !== task.lastStatus) seen.push(task.lastStatus);
  }
  assert.deepEqual(seen, ["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]);
  assert.deepEqual(h.runtime.starts[0]!.stops, [15_000], "30 s default stopTimeout x 0.5");
  assert.equal(task.containers[0]!.exitCode, 143);
  assert.equal(task.eni.status, "DETACHED");
  assert.ok(task.stoppingAt! <= task.executionStoppedAt! && task.executionStoppedAt! <= task.stoppedAt!);
  assert.equal(h.clock.pending(), 0);
});

test("a second StopTask keeps the first stop's code and reason", async () => {
  const h = fakeEmulator();
  const { task } = await runOne(h);
  await h.call("StopTask", { cluster: "test-cluster", task: task.id, reason: "first" });
  await h.call("StopTask", { cluster: "test-cluster", task: task.id, reason: "second" });
  assert.equal(task.stoppedReason, "first");
  await h.clock.advance(60_000);
  assert.equal(task.lastStatus, "STOPPED");
});

test("a task stopped before its container started never starts it", async () => {
  const h = fakeEmulator();
  const { task } = await runOne(h);
  await h.clock.advance(d.provisioningMs + 1000);
  await h.call("StopTask", { cluster: "test-cluster", task: task.id });
  assert.equal(task.stoppedReason, "Task stopped by user");
  await h.clock.advance(120_000);
  assert.equal(task.lastStatus, "STOPPED");
  assert.equal(h.runtime.starts.length, 0);
  assert.equal(task.containers[0]!.exitCode, undefined);
  assert.equal(task.startedAt, undefined);
});

test("a stop after RUNNING but before the SSH server started: no start, the container still exits 143", async () => {
  const h = fakeEmulator();
  const { task } = await runOne(h);
  await h.clock.advance(toRunning);
  assert.equal(task.lastStatus, "RUNNING");
  await h.call("StopTask", { cluster: "test-cluster", task: task.id });
  await h.clock.advance(120_000);
  assert.equal(task.lastStatus, "STOPPED");
  assert.equal(h.runtime.starts.length, 0);
  assert.equal(task.containers[0]!.exitCode, 143);
});

test("a stop during an in-flight container start waits for the start, then stops the container", async () => {
  const h = fakeEmulator();
  h.runtime.hold = true;
  const { task } = await runOne(h);
  await h.clock.advance(toRunning + d.sshdDelayMs);
  assert.equal(h.runtime.starts.length, 1);
  await h.call("StopTask", { cluster: "test-cluster", task: task.id });
  await h.clock.advance(d.deactivatingMs + 10);
  assert.equal(task.lastStatus, "STOPPING");
  assert.equal(h.runtime.starts[0]!.stops.length, 0);
  h.runtime.release();
  await h.clock.advance(60_000);
  assert.equal(task.lastStatus, "STOPPED");
  assert.equal(h.runtime.starts[0]!.stops.length, 1);
});

test("the SSH server exiting on its own stops the task with EssentialContainerExited", async () => {
  const h = fakeEmulator();
  const { task } = await runOne(h);
  await h.clock.advance(toRunning + d.sshdDelayMs);
  assert.equal(h.emu.engine.crash(task), true);
  assert.equal(task.desiredStatus, "STOPPED");
  assert.equal(task.stopCode, "EssentialContainerExited");
  assert.equal(task.stoppedReason, "Essential container in task exited");
  await h.clock.advance(60_000);
  assert.equal(task.lastStatus, "STOPPED");
});

test("a runtime.start rejection stops the task with TaskFailedToStart and the error", async () => {
  const h = fakeEmulator();
  h.runtime.failWith = "listen EADDRINUSE 127.77.0.1:22";
  const { task } = await runOne(h);
  await h.clock.advance(toRunning + d.sshdDelayMs);
  assert.equal(task.stopCode, "TaskFailedToStart");
  assert.match(task.stoppedReason!, /EADDRINUSE/);
  assert.match(task.containers[0]!.reason!, /EADDRINUSE/);
  await h.clock.advance(60_000);
  assert.equal(task.lastStatus, "STOPPED");
});

test("STOPPED tasks stay describable for an hour, then DescribeTasks reports them MISSING", async () => {
  const h = fakeEmulator();
  const { task } = await runOne(h);
  await h.call("StopTask", { cluster: "test-cluster", task: task.id });
  await h.clock.advance(60_000);
  await h.clock.advance(59 * 60_000);
  let out = await h.call("DescribeTasks", { cluster: "test-cluster", tasks: [task.arn] });
  assert.equal(out.tasks[0].lastStatus, "STOPPED");
  await h.clock.advance(2 * 60_000);
  out = await h.call("DescribeTasks", { cluster: "test-cluster", tasks: [task.arn] });
  assert.deepEqual(out.failures, [{ arn: task.arn, reason: "MISSING" }]);
});

test("reset stops running containers and restores the seeded world", async () => {
  const h = fakeEmulator();
  const { task } = await runOne(h);
  await h.clock.advance(toRunning + d.sshdDelayMs);
  await h.call("CreateCluster", { clusterName: "extra" });
  await h.emu.reset();
  assert.equal(h.runtime.starts[0]!.stops.length, 1);
  assert.equal(task.lastStatus, "STOPPED");
  assert.equal(h.emu.tasks().length, 0);
  assert.equal(h.ctx.emulator.world.region("us-east-2").clusters.has("extra"), false);
  assert.equal(h.ctx.emulator.world.region("us-east-2").clusters.has("test-cluster"), true);
});
