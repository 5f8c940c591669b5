// Fault rules on the model (fake clock, fake runtime): validation, counting, matching, and each
// rule's effect; the SSH rules through launch.connectionFault().
import { test } from "node:test";
import assert from "node:assert/strict";
import { fakeEmulator, seedRunTask } from "../../emulator/testing/model-harness.js";
import { fargateDurations as d } from "../../emulator/model/durations.js";
import { Faults, FaultRuleError } from "../../emulator/faults.js";

const toSsh = d.provisioningMs + d.pendingMs + d.activatingMs + d.sshdDelayMs;

test("invalid rules are rejected as a batch with every problem listed", () => {
  const f = new Faults();
  assert.throws(
    () => f.add([{ op: "RunTask", error: "ThrottlingException", times: 0 }, { task: "explode" }, { ssh: "refuse", subnet: 5 }, { op: "DescribeTasks", failure: "x" }, 42]),
    (e: unknown) => {
      assert.ok(e instanceof FaultRuleError);
      for (const part of ["rule 0", "times", "rule 1", "rule 2", "subnet", "rule 3", "RunTask", "rule 4"]) assert.match(e.message, new RegExp(part));
      return true;
    },
  );
  assert.deepEqual(f.list(), []);
  assert.throws(() => f.add([{ op: "RunTask", error: "ThrottlingException", bogus: 1 }]), /unknown field "bogus"/);
  assert.throws(() => f.add([{ op: "RunTask" }]), /exactly one of "error" or "failure"/);
  assert.throws(() => f.add([{ task: "stopWhenRunning", stopCode: "Nope" }]), /stopCode/);
});

test("error rules fire N times for their operation, with AWS's status and message", () => {
  const f = new Faults();
  f.add([{ op: "RunTask", error: "ThrottlingException", times: 2 }, { op: "DescribeTasks", error: "ServerException", cluster: "other" }]);
  assert.equal(f.takeError("DescribeTasks", { cluster: "test-cluster" }), undefined);
  const r = f.takeError("RunTask", {});
  assert.equal(r?.status, 400);
  assert.equal(r?.message, "Rate exceeded");
  assert.equal(f.list().find((x) => x.kind === "error" && x.op === "RunTask")?.remaining, 1);
  assert.ok(f.takeError("RunTask", {}));
  assert.equal(f.takeError("RunTask", {}), undefined);
  const s = f.takeError("DescribeTasks", { cluster: "arn:aws:ecs:us-east-2:123456789012:cluster/other" });
  assert.equal(s?.status, 500);
  assert.ok(f.takeError("DescribeTasks", { cluster: "other" }), "no times = until cleared");
});

test("a RunTask failure rule answers failures instead of tasks", async () => {
  const h = fakeEmulator();
  h.emu.faults.add([{ op: "RunTask", failure: "Capacity is unavailable at this time. Please try again later or in a different availability zone", times: 1 }]);
  let out = await h.call("RunTask", seedRunTask({ count: 2 }));
  assert.equal(out.tasks.length, 1);
  assert.deepEqual(out.failures, [{ reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone" }]);
  out = await h.call("RunTask", seedRunTask());
  assert.equal(out.tasks.length, 1);
  assert.deepEqual(out.failures, []);
});

test("a capacity failure matching one subnet sends the task to the next listed subnet", async () => {
  const h = fakeEmulator();
  await h.emu.reset();
  const world = h.ctx.world;
  const { addSubnet } = await import("../../emulator/model/seed.js");
  addSubnet(world, h.emu.addresses, "subnet-bbbbbb", { availabilityZone: "us-east-2b" });
  h.emu.faults.add([{ op: "RunTask", failure: "Capacity is unavailable at this time.", subnet: "subnet-xxxxxx" }]);
  const net = { awsvpcConfiguration: { subnets: ["subnet-xxxxxx", "subnet-bbbbbb"], securityGroups: ["sg-xxxxxxxxxxxxx"] } };
  let out = await h.call("RunTask", seedRunTask({ networkConfiguration: net }));
  assert.equal(out.tasks.length, 1);
  assert.equal(out.tasks[0].availabilityZone, "us-east-2b");
  out = await h.call("RunTask", seedRunTask());
  assert.equal(out.tasks.length, 0);
  assert.equal(out.failures[0].reason, "Capacity is unavailable at this time.");
});

test("failToStart: the task stops after the pull with TaskFailedToStart and the container reason", async () => {
  const h = fakeEmulator();
  h.emu.faults.add([{ task: "failToStart", stoppedReason: "CannotPullContainerError: pull access denied", times: 1 }]);
  const out = await h.call("RunTask", seedRunTask());
  const task = h.ctx.world.task(out.tasks[0].taskArn)!;
  await h.clock.advance(d.provisioningMs + d.pendingMs);
  assert.equal(task.desiredStatus, "STOPPED");
  assert.equal(task.stopCode, "TaskFailedToStart");
  assert.equal(task.stoppedReason, "CannotPullContainerError: pull access denied");
  assert.equal(task.containers[0]!.reason, "CannotPullContainerError: pull access denied");
  await h.clock.advance(60_000);
  assert.equal(task.lastStatus, "STOPPED");
  assert.equal(task.startedAt, undefined, "never RUNNING");
  assert.equal(h.runtime.starts.length, 0);
  assert.deepEqual(h.emu.faults.list(), [], "used up");
});

test("stopWhenRunning on FARGATE_SPOT only: a Spot task is interrupted afterMs after RUNNING", async () => {
  const h = fakeEmulator();
  h.emu.faults.add([{ task: "stopWhenRunning", afterMs: 5000, stopCode: "SpotInterruption", capacityProvider: "FARGATE_SPOT", times: 1 }]);
  const onDemand = await h.call("RunTask", seedRunTask());
  const spot = await h.call("RunTask", seedRunTask({ capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] }));
  assert.equal(spot.tasks[0].capacityProviderName, "FARGATE_SPOT");
  const a = h.ctx.world.task(onDemand.tasks[0].taskArn)!;
  const b = h.ctx.world.task(spot.tasks[0].taskArn)!;
  await h.clock.advance(d.provisioningMs + d.pendingMs + d.activatingMs + 4999);
  assert.equal(b.desiredStatus, "RUNNING");
  assert.equal(h.runtime.starts.length, 2, "the SSH server started before the interruption");
  await h.clock.advance(1);
  assert.equal(b.desiredStatus, "STOPPED");
  assert.equal(b.stopCode, "SpotInterruption");
  assert.equal(b.stoppedReason, "Your Spot Task was interrupted.");
  assert.equal(a.desiredStatus, "RUNNING");
  await h.clock.advance(60_000);
  assert.equal(b.lastStatus, "STOPPED");
  assert.equal(b.containers[0]!.exitCode, 143);
});

test("a strategy fills base first, then round-robins by weight", async () => {
  const h = fakeEmulator();
  const out = await h.call(
    "RunTask",
    seedRunTask({
      count: 6,
      capacityProviderStrategy: [
        { capacityProvider: "FARGATE", base: 2, weight: 1 },
        { capacityProvider: "FARGATE_SPOT", weight: 1 },
      ],
    }),
  );
  const names = out.tasks.map((t: { capacityProviderName: string }) => t.capacityProviderName);
  assert.deepEqual(names.slice(0, 2), ["FARGATE", "FARGATE"]);
  assert.equal(names.filter((n: string) => n === "FARGATE_SPOT").length, 2);
});

test("stopWhenRunning before the SSH server would start skips the container", async () => {
  const h = fakeEmulator();
  h.emu.faults.add([{ task: "stopWhenRunning", afterMs: 0, stopCode: "TerminationNotice" }]);
  const out = await h.call("RunTask", seedRunTask());
  const task = h.ctx.world.task(out.tasks[0].taskArn)!;
  await h.clock.advance(120_000);
  assert.equal(task.lastStatus, "STOPPED");
  assert.equal(task.stopCode, "TerminationNotice");
  assert.equal(h.runtime.starts.length, 0);
});

test("ssh startDelayMs is a setting: the SSH server starts that long after RUNNING", async () => {
  const h = fakeEmulator();
  h.emu.faults.add([{ ssh: "startDelayMs", value: 3000 }]);
  for (let i = 0; i < 2; i++) {
    const out = await h.call("RunTask", seedRunTask());
    const task = h.ctx.world.task(out.tasks[0].taskArn)!;
    await h.clock.advance(d.provisioningMs + d.pendingMs + d.activatingMs + 2999);
    assert.equal(task.sshRunning, false);
    await h.clock.advance(1);
    assert.equal(task.sshRunning, true);
  }
  assert.equal(h.emu.faults.list().length, 1, "still active");
});

test("ssh refuse / dropAfterMs / changeHostKey become the connection faults, N times, matched per task", async () => {
  const h = fakeEmulator();
  h.emu.faults.add([
    { ssh: "refuse", times: 2 },
    { ssh: "dropAfterMs", value: 500, times: 1 },
    { ssh: "changeHostKey", times: 1, family: "other-family" },
  ]);
  await h.call("RunTask", seedRunTask());
  await h.clock.advance(toSsh);
  const launch = h.runtime.starts[0]!.launch;
  assert.deepEqual(launch.connectionFault(), { kind: "refuse" });
  assert.deepEqual(launch.connectionFault(), { kind: "refuse" });
  assert.deepEqual(launch.connectionFault(), { kind: "dropAfterMs", ms: 500 });
  assert.equal(launch.connectionFault(), undefined, "changeHostKey is for another family");
  h.emu.faults.clear();
  h.emu.faults.add([{ ssh: "changeHostKey", times: 1 }]);
  assert.deepEqual(launch.connectionFault(), { kind: "changeHostKey" });
  assert.equal(launch.connectionFault(), undefined);
});
