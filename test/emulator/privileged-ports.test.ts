// Detecting that task SSH servers cannot bind low container ports (not root, no
// cap_net_bind_service), from injected facts, and the stoppedReason of such a start failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { containerStartFailureReason, gatherPortPermissionFacts, privilegedPortWarning, type PortPermissionFacts } from "../../emulator/privileged-ports.js";
import { fakeEmulator, seedRunTask } from "../../emulator/testing/model-harness.js";
import { fargateDurations as d } from "../../emulator/model/durations.js";

const unprivileged: PortPermissionFacts = { lowPortBind: "EACCES", unprivilegedPortStart: 1024, uid: 1000, netBindCapability: false };

test("a non-root user whose low-port bind fails gets one warning line naming port 22 and the fixes", () => {
  const warning = privilegedPortWarning(unprivileged)!;
  assert.ok(!warning.includes("\n"), "one line");
  assert.match(warning, /cannot bind ports below 1024/);
  assert.match(warning, /test-task:1 \(port 22\), will fail to start/);
  assert.match(warning, /run the emulator as root/);
  assert.match(warning, /cap_net_bind_service/);
  assert.match(warning, /containerPort >= 1024/);
});

test("no warning when low ports can be bound: root, the capability, a lowered threshold, or a bind that worked", () => {
  assert.equal(privilegedPortWarning({ ...unprivileged, lowPortBind: "ok" }), undefined);
  for (const facts of [{ uid: 0 }, { netBindCapability: true }, { unprivilegedPortStart: 0 }, { unprivilegedPortStart: 22 }]) {
    assert.equal(privilegedPortWarning({ ...unprivileged, lowPortBind: undefined, ...facts }), undefined, JSON.stringify(facts));
  }
});

test("without a conclusive bind attempt, uid and the kernel threshold decide", () => {
  assert.match(privilegedPortWarning({ ...unprivileged, lowPortBind: "EADDRNOTAVAIL" })!, /below 1024/);
  assert.match(privilegedPortWarning({ ...unprivileged, lowPortBind: undefined, unprivilegedPortStart: 500 })!, /below 500/);
  assert.equal(privilegedPortWarning({ lowPortBind: undefined, unprivilegedPortStart: undefined, uid: undefined, netBindCapability: undefined }), undefined);
});

test("the facts of this process agree with its uid", async () => {
  const facts = await gatherPortPermissionFacts();
  if (process.getuid?.() === 0) {
    assert.equal(facts.lowPortBind, "ok");
    assert.equal(privilegedPortWarning(facts), undefined);
  } else {
    assert.equal(privilegedPortWarning(facts) !== undefined, facts.lowPortBind === "EACCES");
  }
});

test("an EACCES start failure on port 22 stops the task with a stoppedReason that says why and what to do", async () => {
  const h = fakeEmulator();
  h.runtime.failWith = "listening on 127.77.0.5:22: listen EACCES: permission denied 127.77.0.5:22";
  const task = h.ctx.world.task((await h.call("RunTask", seedRunTask())).tasks[0].taskArn)!;
  await h.clock.advance(d.provisioningMs + d.pendingMs + d.activatingMs + d.sshdDelayMs);
  assert.equal(task.stopCode, "TaskFailedToStart");
  assert.match(task.stoppedReason!, /^CannotStartContainerError: listening on 127\.77\.0\.5:22: listen EACCES/);
  assert.match(task.stoppedReason!, /container port 22 is below 1024, which needs root or cap_net_bind_service/);
  assert.equal(containerStartFailureReason(new Error("listen EACCES"), 2222), "CannotStartContainerError: listen EACCES", "no hint for high ports");
  assert.equal(containerStartFailureReason(new Error("boom"), 22), "CannotStartContainerError: boom");
});
