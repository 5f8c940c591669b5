// Fault matrix, SSH: a server that never comes up, a session dropped mid-stage and a changed host
// key, through the real CLI against the emulator with both SSH servers. Each is a system failure
// with the cause (and what to check) in one line, and cleanup leaves nothing behind.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoSecret, assertSystemFailure, FaultCase, sshKindSkip } from "./support.js";

for (const ssh of ["embedded", "openssh"] as const) {
  describe(`SSH failures (${ssh} sshd)`, { skip: await sshKindSkip(ssh), concurrency: true }, () => {
    let emulator: EmulatorHandle;
    before(async () => {
      emulator = await startEmulator({ ssh, timeScale: 0.03 });
    });
    after(async () => {
      await emulator?.stop();
    });

    it("an SSH server that never comes up fails prepare, says what to check, and stops the task", async () => {
      const c = new FaultCase(emulator, "no-sshd");
      // Refuse every connection of this case's task: as a closed security group or a dead sshd would.
      await emulator.addFaults([{ ssh: "refuse", startedBy: c.startedBy, times: 1000 }]);
      c.config({ ssh: '  ReadyTimeout = "2s"\n  ConnectTimeout = "1s"' });
      const prepare = await c.cli(["prepare"]);
      const line = assertSystemFailure(prepare, /^ERROR: waiting for the task's SSH server: connecting to server "127\.[\d.]+:22" as user "[^"]+": /);
      for (const hint of [/security group/, /port 22/, /sshd/, /SSH_PUBLIC_KEY/]) assert.match(line, hint);
      const [task] = await c.tasks();
      assert.equal(task?.desiredStatus, "STOPPED", "prepare stops the task it could not reach");
      const key = c.recordedKey();
      await c.cleanupAndCheck();
      assertNoSecret(c.outputs, key, "private key");
    });

    it("an SSH session dropped mid-stage fails run as a system failure", async () => {
      const c = new FaultCase(emulator, "drop");
      const prepare = await c.cli(["prepare"]);
      assert.equal(prepare.code, 0, prepare.stderr);
      const key = c.recordedKey();
      await emulator.addFaults([{ ssh: "dropAfterMs", value: 1500, startedBy: c.startedBy, times: 1 }]);
      const run = await c.cli(["run", c.script("long.sh", "echo started\nsleep 30\necho late\n"), "build_script"]);
      assertSystemFailure(run, /^ERROR: executing the script on the remote host: executing script on container with IP "127[\d.]+": the SSH session ended without an exit status: .* \(the task is still running, so the connection was lost: check the network between the runner and the task, and the container's sshd\)$/);
      assert.equal(run.stdout, "started\n");
      await c.cleanupAndCheck();
      assertNoSecret(c.outputs, key, "private key");
    });

    it("a changed host key is refused as a possible man in the middle", async () => {
      const c = new FaultCase(emulator, "hostkey");
      const prepare = await c.cli(["prepare"]);
      assert.equal(prepare.code, 0, prepare.stderr);
      const key = c.recordedKey();
      await emulator.addFaults([{ ssh: "changeHostKey", startedBy: c.startedBy, times: 1 }]);
      const marker = c.script("marker.sh", `touch ${c.dir}/ran\n`);
      const run = await c.cli(["run", marker, "build_script"]);
      assertSystemFailure(run, /host key mismatch.*possible man-in-the-middle attack.*refusing to connect/);
      // Nothing ran on the impostor.
      assert.equal((await import("node:fs")).existsSync(`${c.dir}/ran`), false);
      await c.cleanupAndCheck();
      assertNoSecret(c.outputs, key, "private key");
    });
  });
}
