// Connection faults applied by the front door, for both runtimes: refuse, drop mid-session,
// and a changed host key for one connection.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KINDS, ssh2Connect, ssh2Run, sshCli, startTask, waitFor, within, type TestTask } from "./ssh-test-kit.js";

for (const kind of KINDS) {
  describe(`${kind} runtime: connection faults`, { timeout: 120_000 }, () => {
    let task: TestTask;
    before(async () => {
      task = await startTask(kind);
    });
    after(async () => {
      await task?.stop();
    });

    it("refuse resets the connection at once; the next one is served", async () => {
      task.faults.push({ kind: "refuse" });
      await assert.rejects(ssh2Connect(task.address, task.key.privateKey), /ECONNRESET|before handshake|socket hang up/i);
      task.faults.push({ kind: "refuse" });
      const cli = await sshCli(task.address, task.key.path, "true");
      assert.equal(cli.code, 255);
      assert.equal((await ssh2Run(task.address, task.key.privateKey, "echo fine")).stdout.toString(), "fine\n");
    });

    it("dropAfterMs cuts a session in the middle of a command", async () => {
      task.faults.push({ kind: "dropAfterMs", ms: 1000 });
      const connection = await ssh2Connect(task.address, task.key.privateKey);
      connection.client.on("error", () => undefined); // the reset is the point
      const ended = new Promise<{ exitSeen: boolean; output: string }>((resolve, reject) => {
        connection.client.exec("echo started; exec sleep 60", (error, stream) => {
          if (error) return reject(error);
          let output = "";
          let exitSeen = false;
          stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
          stream.on("exit", () => (exitSeen = true));
          connection.client.on("close", () => resolve({ exitSeen, output }));
        });
      });
      const result = await within(ended, 20_000, "the dropped connection to close");
      assert.equal(result.output, "started\n");
      assert.equal(result.exitSeen, false, "the command finished instead of the connection being cut");
      assert.equal((await ssh2Run(task.address, task.key.privateKey, "echo after")).stdout.toString(), "after\n");
    });

    if (kind === "embedded") {
      // Like a terminal hang-up; a real sshd without a pty sends no SIGHUP, its commands just
      // lose their stdin/stdout when the connection goes.
      it("a cut connection hangs up the commands still running in it (SIGHUP)", async () => {
        task.faults.push({ kind: "dropAfterMs", ms: 500 });
        const connection = await ssh2Connect(task.address, task.key.privateKey);
        connection.client.on("error", () => undefined);
        connection.client.exec("trap 'echo hup > hup-seen; exit 0' HUP; sleep 60 & wait", () => undefined);
        await waitFor("the SIGHUP trap to run", () => existsSync(join(task.workDir, "hup-seen")));
      });
    }

    it("changeHostKey shows a different host key for one connection, then the original again", async () => {
      task.faults.push(undefined, { kind: "changeHostKey" }, undefined);
      const first = await ssh2Run(task.address, task.key.privateKey, "echo one");
      const changed = await ssh2Run(task.address, task.key.privateKey, "echo two; pwd");
      const again = await ssh2Run(task.address, task.key.privateKey, "echo three");
      assert.equal(first.hostKey, task.running.hostKey);
      assert.notEqual(changed.hostKey, task.running.hostKey);
      assert.match(changed.hostKey, /^ssh-ed25519 /);
      assert.equal(changed.stdout.toString(), `two\n${task.workDir}\n`, "the changed-key server runs commands too");
      assert.equal(again.hostKey, task.running.hostKey);

      const knownHosts = join(task.workDir, "known_hosts");
      writeFileSync(knownHosts, `${task.address} ${task.running.hostKey}\n`);
      const strict = ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`];
      task.faults.push({ kind: "changeHostKey" });
      const refused = await sshCli(task.address, task.key.path, "echo should-not-run", { extra: strict });
      assert.equal(refused.code, 255);
      assert.match(refused.stderr.toString(), /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
      assert.equal(refused.stdout.toString(), "");
      const accepted = await sshCli(task.address, task.key.path, "echo trusted", { extra: strict });
      assert.equal(accepted.stdout.toString(), "trusted\n", accepted.stderr.toString());
    });
  });
}
