// Fault matrix, dead tasks: a task that fails to start (CannotPullContainerError) and one stopped
// while a stage runs (SpotInterruption), through the real CLI against the emulator (both SSH
// servers). Each ends as a system failure quoting ECS's reason, with nothing left behind.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoSecret, assertSystemFailure, FaultCase, sshKindSkip } from "./support.js";

for (const ssh of ["embedded", "openssh"] as const) {
  describe(`dead tasks (${ssh} sshd)`, { skip: await sshKindSkip(ssh), concurrency: true }, () => {
    let emulator: EmulatorHandle;
    before(async () => {
      emulator = await startEmulator({ ssh, timeScale: 0.03 });
    });
    after(async () => {
      await emulator?.stop();
    });

    it("a task that fails to start (CannotPullContainerError) fails prepare with ECS's reason", async () => {
      const c = new FaultCase(emulator, "pull");
      await emulator.addFaults([
        {
          task: "failToStart",
          stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found",
          startedBy: c.startedBy,
          times: 1,
        },
      ]);
      const prepare = await c.cli(["prepare"]);
      assertSystemFailure(prepare, /^ERROR: waiting Fargate task to be ready: .*stopped before RUNNING: TaskFailedToStart: CannotPullContainerError: pull image manifest/);
      assert.equal((await c.tasks()).length, 1);
      const key = c.recordedKey();
      await c.cleanupAndCheck();
      assertNoSecret(c.outputs, key, "private key");
    });

    it("a task stopped while prepare waits for its SSH server fails prepare at once with the stop code", async () => {
      const c = new FaultCase(emulator, "spot-ssh");
      await emulator.addFaults([
        { ssh: "startDelayMs", value: 120_000, startedBy: c.startedBy },
        { task: "stopWhenRunning", afterMs: 1000, stopCode: "SpotInterruption", startedBy: c.startedBy, times: 1 },
      ]);
      // Without the watch, this would end only at ReadyTimeout, as "connection refused".
      c.config({ ssh: '  ReadyTimeout = "60s"' });
      const started = Date.now();
      const prepare = await c.cli(["prepare"]);
      assertSystemFailure(
        prepare,
        /^ERROR: waiting for the task's SSH server: connecting to server "127[\d.]+:22" as user "[^"]+": the task stopped: task \w+ is \w+: SpotInterruption: Your Spot Task was interrupted\./,
      );
      assert.ok(Date.now() - started < 45_000, "prepare gave up long before ReadyTimeout");
      await c.cleanupAndCheck();
    });

    it("a task stopped mid-script (SpotInterruption) fails run with the stop code, and cleanup copes", async () => {
      const c = new FaultCase(emulator, "spot");
      // Counted from RUNNING: long enough for prepare to finish, so the stop lands in the run stage.
      await emulator.addFaults([{ task: "stopWhenRunning", afterMs: 8000, stopCode: "SpotInterruption", startedBy: c.startedBy, times: 1 }]);
      const prepare = await c.cli(["prepare"]);
      assert.equal(prepare.code, 0, prepare.stderr);
      const key = c.recordedKey();
      const run = await c.cli(["run", c.script("long.sh", "echo started\nsleep 60\necho late\n"), "build_script"]);
      assertSystemFailure(run, /^ERROR: executing the script on the remote host: .*SpotInterruption/);
      assert.equal(run.stdout, "started\n");
      await c.cleanupAndCheck();
      assertNoSecret(c.outputs, key, "private key");
    });
  });
}

