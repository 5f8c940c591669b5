// Logging in to a task's container and running commands, with real OpenSSH and ssh2 clients,
// against both runtimes.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRuntime } from "../../emulator/containers/index.js";
import {
  collect,
  KINDS,
  makeClientKey,
  makeLaunch,
  ssh2Connect,
  ssh2Run,
  sshCli,
  sshCliArgs,
  startTask,
  type CommandResult,
  type TestTask,
} from "./ssh-test-kit.js";

it("the ssh client reads no ssh_config, so nothing can send it elsewhere than the task", () => {
  // ssh -G only prints the resolved configuration; -v names every config file it reads.
  const args = sshCliArgs("127.3.4.5", "/nonexistent-key", "true");
  const out = spawnSync("ssh", ["-G", "-v", ...args], { encoding: "utf8", timeout: 10_000 });
  assert.equal(out.status, 0, out.stderr);
  const read = [...out.stderr.matchAll(/Reading configuration data (\S+)/g)].map((m) => m[1]);
  assert.deepEqual(read, ["/dev/null"]);
  assert.match(out.stdout, /^hostname 127\.3\.4\.5$/m);
  assert.match(out.stdout, /^port 22$/m);
  assert.doesNotMatch(out.stdout, /^(proxycommand|proxyjump) /m);
});

for (const kind of KINDS) {
  describe(`${kind} runtime: login and commands`, { timeout: 120_000 }, () => {
    let task: TestTask;
    let otherKeyDir: string;
    before(async () => {
      task = await startTask(kind);
      otherKeyDir = mkdtempSync(join(tmpdir(), "ssh-test-other-"));
    });
    after(async () => {
      await task?.stop();
      rmSync(otherKeyDir, { recursive: true, force: true });
    });

    it("runs a command with the ssh client, in the work dir", async () => {
      const result = await sshCli(task.address, task.key.path, "echo hi; pwd");
      assert.equal(result.stderr.toString(), "");
      assert.equal(result.stdout.toString(), `hi\n${task.workDir}\n`);
      assert.equal(result.code, 0);
    });

    it("runs commands with ssh2, stdout and stderr apart, exit status propagated", async () => {
      const result = await ssh2Run(task.address, task.key.privateKey, "echo out; echo err >&2; exit 7");
      assert.equal(result.stdout.toString(), "out\n");
      assert.equal(result.stderr.toString(), "err\n");
      assert.equal(result.code, 7);
      const cli = await sshCli(task.address, task.key.path, "echo out; echo err >&2; exit 7");
      assert.deepEqual([cli.stdout.toString(), cli.stderr.toString(), cli.code], ["out\n", "err\n", 7]);
    });

    it("gives sessions a container-like environment with the task marker, not the emulator's", async () => {
      const result = await ssh2Run(task.address, task.key.privateKey, "env");
      const env = new Map(result.stdout.toString().trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
      assert.equal(env.get("FARGATE_EMULATOR_TASK"), task.launch.taskId);
      assert.equal(env.get("USER"), "root");
      assert.equal(env.get("HOME"), "/root");
      assert.equal(env.get("SHELL"), "/bin/bash");
      assert.equal(env.has("NODE_TEST_CONTEXT"), false, "the emulator's (test runner's) environment leaked");
    });

    it("runs a 1 MiB script fed to bash on stdin, output byte-exact (ssh and ssh2)", async () => {
      const lines: string[] = [];
      let size = 0;
      while (size < 1024 * 1024) {
        const line = randomBytes(48).toString("hex");
        lines.push(line);
        size += line.length + 6;
      }
      const script = Buffer.from(lines.map((line) => `echo ${line}\n`).join(""));
      const expected = lines.map((line) => `${line}\n`).join("");
      const viaCli = await sshCli(task.address, task.key.path, "bash", { input: script });
      assert.equal(viaCli.code, 0, viaCli.stderr.toString());
      assert.equal(viaCli.stdout.toString(), expected);
      const viaSsh2 = await ssh2Run(task.address, task.key.privateKey, "bash -s", script);
      assert.equal(viaSsh2.code, 0, viaSsh2.stderr.toString());
      assert.equal(viaSsh2.stdout.toString(), expected);
    });

    it("passes binary data through unchanged", async () => {
      const data = randomBytes(1024 * 1024 + 17);
      const result = await ssh2Run(task.address, task.key.privateKey, "cat", data);
      assert.equal(result.code, 0);
      assert.ok(result.stdout.equals(data), "cat output differs from its input");
    });

    it("serves shell requests (bash reading stdin, no pty)", async () => {
      const connection = await ssh2Connect(task.address, task.key.privateKey);
      try {
        const result = await new Promise<CommandResult>((resolve, reject) => {
          connection.client.shell(false, (error, stream) => {
            if (error) return reject(error);
            collect(stream, resolve, reject, "shell");
            stream.end("echo from-shell; pwd; exit 3\n");
          });
        });
        assert.equal(result.stdout.toString(), `from-shell\n${task.workDir}\n`);
        assert.equal(result.code, 3);
      } finally {
        connection.client.end();
      }
    });

    it("reports an exit signal", async () => {
      const killed = await ssh2Run(task.address, task.key.privateKey, "kill -TERM $$");
      assert.equal(killed.signal, "SIGTERM");
      assert.equal(killed.code, null);
    });

    // OpenSSH 9.2 refuses signal requests in root sessions ("session signalling requires
    // privilege separation", which sshd drops for root), so the real task image ignores them;
    // the embedded runtime forwards them to the command's process group.
    const forwardsSignals = kind === "embedded";
    it(`${forwardsSignals ? "forwards" : "ignores, like the task image's sshd,"} signal requests`, async () => {
      const connection = await ssh2Connect(task.address, task.key.privateKey);
      try {
        const result = await new Promise<CommandResult>((resolve, reject) => {
          connection.client.exec("echo started; exec sleep 2", (error, stream) => {
            if (error) return reject(error);
            collect(stream, resolve, reject, "sleep");
            stream.once("data", () => stream.signal("INT"));
          });
        });
        assert.deepEqual([result.code, result.signal], forwardsSignals ? [null, "SIGINT"] : [0, undefined]);
        // Also after the client closed stdin, as a script fed with `bash -s` does.
        const afterEof = await new Promise<CommandResult>((resolve, reject) => {
          connection.client.exec("trap 'echo got-term; exit 7' TERM; echo ready; sleep 2 & wait", (error, stream) => {
            if (error) return reject(error);
            collect(stream, resolve, reject, "trap");
            stream.end();
            stream.once("data", () => sendSignalAfterEof(connection.client, stream, "TERM"));
          });
        });
        assert.deepEqual(
          [afterEof.code, afterEof.stdout.toString()],
          forwardsSignals ? [7, "ready\ngot-term\n"] : [0, "ready\n"],
        );
      } finally {
        connection.client.end();
      }
    });

    it("shows the task's own host key, different from another task's", async () => {
      const seen = await ssh2Run(task.address, task.key.privateKey, "true");
      assert.equal(seen.hostKey, task.running.hostKey);
      assert.match(task.running.hostKey, /^ssh-ed25519 [A-Za-z0-9+/=]+$/);
      const knownHosts = join(otherKeyDir, "known_hosts");
      writeFileSync(knownHosts, `${task.address} ${task.running.hostKey}\n`);
      const strict = await sshCli(task.address, task.key.path, "true", {
        extra: ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`],
      });
      assert.equal(strict.code, 0, strict.stderr.toString());
      const other = await startTask(kind);
      try {
        assert.notEqual(other.running.hostKey, task.running.hostKey);
        assert.equal((await ssh2Run(other.address, other.key.privateKey, "true")).hostKey, other.running.hostKey);
      } finally {
        await other.stop();
      }
    });

    it("refuses any other key, with both clients", async () => {
      const other = makeClientKey(otherKeyDir, `other_${Date.now()}`);
      const cli = await sshCli(task.address, other.path, "echo should-not-run");
      assert.equal(cli.code, 255);
      assert.match(cli.stderr.toString(), /Permission denied/);
      assert.equal(cli.stdout.toString(), "");
      await assert.rejects(ssh2Connect(task.address, other.privateKey), /authentication methods failed/);
    });

    it("refuses users that do not exist", async () => {
      await assert.rejects(ssh2Connect(task.address, task.key.privateKey, "no-such-user-here"), /authentication methods failed/);
    });
  });
}

describe("RSA and ECDSA task keys", () => {
  for (const kind of KINDS) {
    for (const type of ["rsa", "ecdsa"]) {
      it(`${kind}: accepts an ${type} key`, { timeout: 60_000 }, async () => {
        const { launch, key } = makeLaunch();
        const keyPath = join(key.path, "..", `id_${type}`);
        execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "test", "-f", keyPath]);
        const publicKey = readFileSync(`${keyPath}.pub`, "utf8");
        const running = await createRuntime(kind).start({ ...launch, authorizedKey: publicKey });
        try {
          const cli = await sshCli(launch.addresses[0], keyPath, "echo via-cli");
          assert.equal(cli.stdout.toString(), "via-cli\n", cli.stderr.toString());
          const viaSsh2 = await ssh2Run(launch.addresses[0], readFileSync(keyPath, "utf8"), "echo via-ssh2");
          assert.equal(viaSsh2.stdout.toString(), "via-ssh2\n");
          await assert.rejects(ssh2Connect(launch.addresses[0], key.privateKey), /authentication methods failed/);
        } finally {
          await running.stop(2000);
          rmSync(launch.workDir, { recursive: true, force: true });
          rmSync(join(key.path, ".."), { recursive: true, force: true });
        }
      });
    }
  }
});

describe("a task without a usable key", () => {
  for (const kind of KINDS) {
    it(`${kind}: refuses every login`, { timeout: 60_000 }, async () => {
      const { launch, key } = makeLaunch();
      const running = await createRuntime(kind).start({ ...launch, authorizedKey: "not a key" });
      try {
        await assert.rejects(ssh2Connect(launch.addresses[0], key.privateKey), /authentication methods failed/);
      } finally {
        await running.stop(2000);
        rmSync(launch.workDir, { recursive: true, force: true });
        rmSync(join(key.path, ".."), { recursive: true, force: true });
      }
    });
  }
});

// ssh2's channel.signal() sends nothing once the channel's stdin is closed; go to the protocol.
function sendSignalAfterEof(client: object, channel: object, name: string): void {
  const protocol = Reflect.get(client, "_protocol") as { signal(id: number, name: string): void };
  const outgoing = Reflect.get(channel, "outgoing") as { id: number };
  protocol.signal(outgoing.id, name);
}
