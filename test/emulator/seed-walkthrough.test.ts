// The seed document, step by step, with independent clients only: the awscli starts the seed's
// task (test-cluster, test-task:1, subnet-xxxxxx, sg-xxxxxxxxxxxxx, a public IP and an
// SSH_PUBLIC_KEY override), finds its public IP through EC2, and OpenSSH's `ssh -i KEY root@IP`
// runs a command in it, and so does the ssh2 client; any other key is refused; stop-task ends its
// processes and its SSH server.
// Run once per SSH server implementation.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { awscliFor, awscliSkipReason, type Awscli } from "../support/awscli.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { ssh2Run, sshCli } from "./ssh-test-kit.js";

const skip = awscliSkipReason();

/** OpenSSH's client, as a user would type it (`ssh -i KEY root@IP`), with no config, known_hosts or agent. */
async function ssh(key: string, ip: string, command: string): Promise<SshResult> {
  const result = await sshCli(ip, key, command);
  return { code: result.code ?? 255, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh ed25519 key pair made by ssh-keygen (not by any code of ours). */
function keygen(dir: string, name: string): { key: string; publicKey: string } {
  const key = path.join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]);
  return { key, publicKey: readFileSync(`${key}.pub`, "utf8").trim() };
}

/** The pids of processes that carry the task's marker variable (what the emulator tracks). */
function processesOfTask(taskId: string): number[] {
  const found: number[] = [];
  for (const pid of execFileSync("ps", ["-e", "-o", "pid="], { encoding: "utf8" }).split(/\s+/).filter(Boolean)) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`FARGATE_EMULATOR_TASK=${taskId}`)) found.push(Number(pid));
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

for (const kind of ["embedded", "openssh"] as const) {
  describe(`the seed walkthrough with the ${kind} SSH server`, { skip, timeout: 120_000 }, () => {
    let emu: EmulatorHandle;
    let cli: Awscli;
    let dir: string;
    before(async () => {
      emu = await startEmulator({ ssh: kind, timeScale: 0.02 });
      cli = awscliFor(emu.endpoint);
      dir = mkdtempSync(path.join(os.tmpdir(), "seed-walkthrough-"));
    });
    after(async () => {
      await emu?.stop();
      cli?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("run-task reaches RUNNING, ssh -i KEY root@<public ip> runs a command, stop-task ends it all", async () => {
      const mine = keygen(dir, "job-key");
      const stranger = keygen(dir, "other-key");
      const run = await cli.json("ecs", "run-task", "--cluster", "test-cluster", "--task-definition", "test-task:1",
        "--network-configuration", "awsvpcConfiguration={subnets=[subnet-xxxxxx],securityGroups=[sg-xxxxxxxxxxxxx],assignPublicIp=ENABLED}",
        "--overrides", JSON.stringify({ containerOverrides: [{ name: "ci-coordinator", environment: [{ name: "SSH_PUBLIC_KEY", value: mine.publicKey }] }] }));
      assert.deepEqual(run.failures, []);
      const arn: string = run.tasks[0].taskArn;
      const taskId = arn.split("/").pop()!;

      let task;
      for (let i = 0; i < 300; i++) {
        task = (await cli.json("ecs", "describe-tasks", "--cluster", "test-cluster", "--tasks", arn)).tasks[0];
        if (task.lastStatus === "RUNNING" || task.lastStatus === "STOPPED") break;
        await sleep(100);
      }
      assert.equal(task.lastStatus, "RUNNING");
      const eni = task.attachments[0].details.find((d: { name: string }) => d.name === "networkInterfaceId").value;
      const privateIp = task.attachments[0].details.find((d: { name: string }) => d.name === "privateIPv4Address").value;
      const ni = await cli.json("ec2", "describe-network-interfaces", "--network-interface-ids", eni);
      const publicIp: string = ni.NetworkInterfaces[0].Association.PublicIp;
      assert.match(publicIp, /^127\.\d+\.\d+\.\d+$/);
      assert.notEqual(publicIp, privateIp);

      // sshd comes up shortly after RUNNING, as in a real container: retry while it refuses.
      let hello: SshResult | undefined;
      for (let i = 0; i < 100; i++) {
        hello = await ssh(mine.key, publicIp, "echo It works!; echo user=$(whoami); sleep 300 >/dev/null 2>&1 & disown; echo started");
        if (hello.code === 0) break;
        await sleep(100);
      }
      assert.equal(hello!.code, 0, hello!.stderr);
      assert.equal(hello!.stdout, "It works!\nuser=root\nstarted\n");
      const viaPrivate = await ssh(mine.key, privateIp, "echo private");
      assert.equal(viaPrivate.stdout, "private\n", viaPrivate.stderr);
      // The same task with the ssh2 client (the driver's), on both addresses.
      for (const ip of [publicIp, privateIp]) {
        const viaSsh2 = await ssh2Run(ip, readFileSync(mine.key, "utf8"), "echo ssh2 $(whoami)");
        assert.equal(viaSsh2.code, 0, viaSsh2.stderr.toString());
        assert.equal(viaSsh2.stdout.toString(), "ssh2 root\n");
        assert.match(viaSsh2.hostKey, /^ssh-ed25519 AAAA/);
      }
      await assert.rejects(ssh2Run(publicIp, readFileSync(stranger.key, "utf8"), "echo should-not-run"), /authentication methods failed/);

      const refused = await ssh(stranger.key, publicIp, "echo should-not-run");
      assert.notEqual(refused.code, 0);
      assert.doesNotMatch(refused.stdout, /should-not-run/);
      assert.match(refused.stderr, /Permission denied/);

      assert.ok(processesOfTask(taskId).length > 0, "the background sleep runs in the task");
      await cli.json("ecs", "stop-task", "--cluster", "test-cluster", "--task", arn, "--reason", "seed walkthrough done");
      for (let i = 0; i < 300; i++) {
        task = (await cli.json("ecs", "describe-tasks", "--cluster", "test-cluster", "--tasks", arn)).tasks[0];
        if (task.lastStatus === "STOPPED") break;
        await sleep(100);
      }
      assert.equal(task.lastStatus, "STOPPED");
      assert.equal(task.stopCode, "UserInitiated");
      assert.equal(task.stoppedReason, "seed walkthrough done");
      assert.deepEqual(processesOfTask(taskId), [], "no process of the task outlives it");
      const after = await ssh(mine.key, publicIp, "echo still-there");
      assert.notEqual(after.code, 0);
      assert.match(after.stderr, /Connection refused/);
    });
  });
}
