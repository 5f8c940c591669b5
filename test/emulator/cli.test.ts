// The fargate-emulator CLI as a process: flags, loopback-only listening (refused before binding),
// the ready line, and SIGTERM stopping every task's processes before a clean exit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../support/emulator.js";
import { sdkClients, waitForStatus } from "../../emulator/testing/sdk-clients.js";
import { RunTaskCommand } from "@aws-sdk/client-ecs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function cli(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "emulator/cli.ts"), ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`fargate-emulator ${args.join(" ")} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("--listen outside 127.0.0.0/8 is refused with one line and exit 2", async () => {
  for (const listen of ["0.0.0.0:0", "10.0.0.1:4566", "192.168.1.1:0", "[::1]:0", "example.com:80", "128.0.0.1:0"]) {
    const r = await cli(["--listen", listen]);
    assert.equal(r.code, 2, `${listen}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^fargate-emulator: refusing to listen on /);
  }
});

test("bad flags: one line, exit 2, no stack trace", async () => {
  for (const args of [["--bogus"], ["--time-scale", "0"], ["--time-scale", "fast"], ["--ssh", "telnet"], ["--listen"], ["--address-block", "300"], ["--region", "Mars"], ["--listen", "127.0.0.1:99999"], ["extra"]]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test("--help prints usage and exits 0", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: fargate-emulator/);
  for (const flag of ["--listen", "--time-scale", "--ssh", "--region", "--work-dir", "--sshd-delay-ms", "--no-throttle", "--address-block"]) assert.ok(r.stdout.includes(flag), flag);
});

test("a port already in use is a clear error", async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const r = await cli(["--listen", `127.0.0.1:${port}`, "--ssh", "none"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /EADDRINUSE/);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("the first stdout line is the endpoint; localhost and --address-block are honoured", async () => {
  const emu = await startEmulator({ args: ["--listen", "localhost:0", "--address-block", "201", "--ssh", "none"] });
  try {
    assert.match(emu.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(emu.endpoint, "http://127.0.0.1:0");
    const health = (await emu.control("GET", "/_emulator/health")) as Record<string, unknown>;
    assert.equal(health.status, "ok");
    assert.equal(health.addressBlock, "127.201.0.0/16");
    assert.equal(health.ssh, "none");
  } finally {
    await emu.stop();
  }
});

test("SIGTERM stops every task (SSH servers gone) and exits 0", async () => {
  const emu = await startEmulator({ ssh: "openssh" });
  const { ecs } = sdkClients(emu.endpoint);
  try {
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: "test-cluster",
        taskDefinition: "test-task:1",
        count: 2,
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx"], assignPublicIp: "ENABLED" } },
      }),
    );
    for (const t of run.tasks!) await waitForStatus(ecs, "test-cluster", t.taskArn!, ["RUNNING"]);
    let tasks = await emu.tasks();
    for (let i = 0; i < 200 && !tasks.every((t) => t.sshRunning); i++) {
      await new Promise((r) => setTimeout(r, 50));
      tasks = await emu.tasks();
    }
    assert.ok(tasks.every((t) => t.sshRunning && t.hostKey), JSON.stringify(tasks));
    const pids = tasks.map((t) => t.sshPid).filter((p): p is number => typeof p === "number");
    assert.equal(pids.length, 2, "openssh runtime reports sshd pids");
    const addr = { host: tasks[0]!.privateIp, port: tasks[0]!.port };
    await emu.stop(); // SIGTERM; asserts exit 0 and that no task process is left
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(addr);
      s.once("connect", () => reject(new Error("SSH port still open after SIGTERM")));
      s.once("error", () => resolve());
    });
  } finally {
    ecs.destroy();
    await emu.stop();
  }
});
