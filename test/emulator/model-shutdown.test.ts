// Reset and shutdown on a fake clock: a stop already running is overtaken by the short shutdown
// deadline, and a RunTask still creating its task when they start leaves nothing running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as settle } from "node:timers/promises";
import { fakeEmulator, seedRunTask } from "../../emulator/testing/model-harness.js";
import { fargateDurations as d } from "../../emulator/model/durations.js";
import { shutdownStopTimeoutMs } from "../../emulator/emulator.js";

const toSshStarted = d.provisioningMs + d.pendingMs + d.activatingMs + d.sshdDelayMs;

/** A fake emulator whose address probe waits until the returned open() is called. */
function emulatorWithBlockedProbe() {
  let open: () => void = () => undefined;
  const probeOpen = new Promise<void>((resolve) => (open = resolve));
  const h = fakeEmulator({ probe: () => probeOpen.then(() => true) });
  return { ...h, openProbe: open };
}

test("shutdown re-stops a container whose StopTask stop is still running, with its own short deadline", async () => {
  const h = fakeEmulator();
  const out = await h.call("RunTask", seedRunTask());
  const task = h.ctx.world.task(out.tasks[0].taskArn)!;
  await h.clock.advance(toSshStarted);
  h.runtime.holdStops = true;
  await h.call("StopTask", { cluster: "test-cluster", task: task.arn });
  await h.clock.advance(d.deactivatingMs);
  const stops = h.runtime.starts[0]!.stops;
  assert.deepEqual(stops, [30_000], "StopTask stops with the container's full stop timeout");
  const shutdown = h.emu.shutdown();
  await settle();
  assert.deepEqual(stops, [30_000, shutdownStopTimeoutMs]);
  h.runtime.releaseStops();
  await shutdown;
  assert.equal(task.lastStatus, "STOPPED");
});

test("a RunTask still creating its task when reset starts: reset waits for it and stops that task too", async () => {
  const h = emulatorWithBlockedProbe();
  const run = h.call("RunTask", seedRunTask());
  await settle();
  const reset = h.emu.reset();
  await settle();
  await assert.rejects(h.call("RunTask", seedRunTask()), { name: "ServerException" }, "no new launch while resetting");
  h.openProbe();
  const task = h.ctx.world.task((await run).tasks[0].taskArn)!;
  await reset;
  assert.equal(task.lastStatus, "STOPPED");
  await h.clock.advance(toSshStarted * 2);
  assert.equal(task.lastStatus, "STOPPED");
  assert.equal(h.runtime.starts.length, 0, "the task's container was never started");
  assert.equal((await h.call("RunTask", seedRunTask())).tasks.length, 1, "launches work again after the reset");
});

test("once shutdown began, RunTask is refused; one already in flight has its task stopped", async () => {
  const h = emulatorWithBlockedProbe();
  const run = h.call("RunTask", seedRunTask());
  await settle();
  const shutdown = h.emu.shutdown();
  await assert.rejects(h.call("RunTask", seedRunTask()), { name: "ServerException" });
  h.openProbe();
  const task = h.ctx.world.task((await run).tasks[0].taskArn)!;
  await shutdown;
  assert.equal(task.lastStatus, "STOPPED");
  await assert.rejects(h.call("RunTask", seedRunTask()), { name: "ServerException" }, "shutdown refuses launches for good");
});

test("a task stopped by reset gets stoppingAt like any other stop", async () => {
  const h = fakeEmulator();
  const task = h.ctx.world.task((await h.call("RunTask", seedRunTask())).tasks[0].taskArn)!;
  await h.clock.advance(toSshStarted + 1000);
  await h.emu.reset();
  assert.equal(task.stoppingAt, h.clock.now());
  assert.ok(task.stoppingAt! <= task.executionStoppedAt! && task.executionStoppedAt! <= task.stoppedAt!);
});
