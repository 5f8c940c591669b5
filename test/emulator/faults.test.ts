// Fault rules through the control API of the real process, observed through the SDK and real SSH clients.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, type ECSClient, type RunTaskCommandInput } from "@aws-sdk/client-ecs";
import { DescribeNetworkInterfacesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { startEmulator, type EmulatorHandle, type EmulatorTask } from "../support/emulator.js";
import { sdkClients, waitForStatus } from "../../emulator/testing/sdk-clients.js";
import { makeClientKey, ssh2Connect, ssh2Exec, ssh2Run, tcpProbe, within, type ClientKey } from "./ssh-test-kit.js";

const cluster = "test-cluster";
let emu: EmulatorHandle;
let ecs: ECSClient;
let ec2: EC2Client;
let keyDir: string;
let key: ClientKey;

const runInput = (extra: Partial<RunTaskCommandInput> = {}): RunTaskCommandInput => ({
  cluster,
  taskDefinition: "test-task:1",
  networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx"], assignPublicIp: "ENABLED" } },
  ...extra,
});

before(async () => {
  emu = await startEmulator({ args: ["--no-throttle"] });
  ({ ecs, ec2 } = sdkClients(emu.endpoint, { maxAttempts: 1 }));
  keyDir = mkdtempSync(path.join(os.tmpdir(), "faults-test-key-"));
  key = makeClientKey(keyDir);
});

beforeEach(async () => {
  await emu.reset();
});

after(async () => {
  ecs?.destroy();
  ec2?.destroy();
  await emu?.stop();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

/** Runs the seed's task accepting the test key; resolves with the emulator's view of it once it is RUNNING. */
async function runSshTask(): Promise<EmulatorTask> {
  const overrides = { containerOverrides: [{ name: "ci-coordinator", environment: [{ name: "SSH_PUBLIC_KEY", value: key.publicKey }] }] };
  const arn = (await ecs.send(new RunTaskCommand(runInput({ overrides })))).tasks![0]!.taskArn!;
  await waitForStatus(ecs, cluster, arn, ["RUNNING"]);
  return (await emu.tasks()).find((t) => t.taskArn === arn)!;
}

/** Polls the emulator until the task's SSH server runs; its view of the task then. */
async function untilSshRunning(task: EmulatorTask, timeoutMs = 10_000): Promise<EmulatorTask> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    const now = (await emu.tasks()).find((t) => t.taskArn === task.taskArn)!;
    if (now.sshRunning) return now;
  }
  throw new Error(`the SSH server of ${task.taskId} did not start within ${timeoutMs} ms`);
}

test("invalid rules get HTTP 400 with a message; GET shows what is left; DELETE clears", async () => {
  await assert.rejects(emu.addFaults([{ op: "RunTask", error: "ThrottlingException", times: -1 }]), /HTTP 400[\s\S]*times/);
  await assert.rejects(emu.addFaults([{ nonsense: true }]), /400/);
  const notJson = await fetch(`${emu.endpoint}/_emulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: "[{not json" });
  assert.equal(notJson.status, 400);
  assert.match(((await notJson.json()) as { error: string }).error, /^invalid JSON body: /);
  await emu.addFaults([{ op: "RunTask", error: "ThrottlingException", times: 3 }, { ssh: "startDelayMs", value: 10 }]);
  let rules = (await emu.control("GET", "/_emulator/faults")) as Array<{ kind: string; remaining: number | null }>;
  assert.deepEqual(rules.map((r) => [r.kind, r.remaining]), [["error", 3], ["sshStartDelay", null]]);
  await assert.rejects(ecs.send(new RunTaskCommand(runInput())), { name: "ThrottlingException", message: "Rate exceeded" });
  rules = (await emu.control("GET", "/_emulator/faults")) as Array<{ kind: string; remaining: number | null }>;
  assert.equal(rules[0]!.remaining, 2);
  await emu.control("DELETE", "/_emulator/faults");
  assert.deepEqual(await emu.control("GET", "/_emulator/faults"), []);
  await ecs.send(new RunTaskCommand(runInput()));
});

test("an AWS error N times for any operation, with a sensible status; SDK retries see it through", async () => {
  await emu.addFaults([{ op: "DescribeTasks", error: "ServerException", times: 1 }, { op: "ListTasks", error: "AccessDeniedException", message: "nope", times: 1 }]);
  await assert.rejects(ecs.send(new DescribeTasksCommand({ cluster, tasks: ["x"] })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
    assert.equal(e.name, "ServerException");
    assert.equal(e.$metadata.httpStatusCode, 500);
    return true;
  });
  await assert.rejects(ecs.send(new ListTasksCommand({ cluster })), { name: "AccessDeniedException", message: "nope" });
  await emu.addFaults([{ op: "DescribeNetworkInterfaces", error: "RequestLimitExceeded", times: 2 }]);
  const retrying = sdkClients(emu.endpoint, { maxAttempts: 4 }).ec2;
  try {
    const out = await retrying.send(new DescribeNetworkInterfacesCommand({}));
    assert.deepEqual(out.NetworkInterfaces, []);
  } finally {
    retrying.destroy();
  }
  const reqs = (await emu.requests()) as Array<{ operation: string; status: number; outcome: string }>;
  assert.deepEqual(reqs.filter((r) => r.operation === "DescribeNetworkInterfaces").map((r) => `${r.status} ${r.outcome}`), ["503 RequestLimitExceeded", "503 RequestLimitExceeded", "200 ok"]);
});

test("a RunTask failures entry, for one subnet only", async () => {
  await emu.control("POST", "/_emulator/subnets", { subnetId: "subnet-bbbbbb", availabilityZone: "us-east-2b" });
  const reason = "Capacity is unavailable at this time. Please try again later or in a different availability zone";
  await emu.addFaults([{ op: "RunTask", failure: reason, subnet: "subnet-xxxxxx", times: 2 }]);
  const failed = await ecs.send(new RunTaskCommand(runInput()));
  assert.deepEqual(failed.tasks, []);
  assert.equal(failed.failures?.[0]?.reason, reason);
  const both = { awsvpcConfiguration: { subnets: ["subnet-xxxxxx", "subnet-bbbbbb"], securityGroups: ["sg-xxxxxxxxxxxxx"] } };
  const ok = await ecs.send(new RunTaskCommand(runInput({ networkConfiguration: both })));
  assert.equal(ok.tasks?.[0]?.availabilityZone, "us-east-2b");
  const again = await ecs.send(new RunTaskCommand(runInput()));
  assert.deepEqual(again.tasks, [], "second of two");
  assert.equal((await ecs.send(new RunTaskCommand(runInput()))).tasks?.length, 1, "used up");
});

test("failToStart: TaskFailedToStart with the given reason on the task and the container", async () => {
  const reason = "CannotPullContainerError: pull access denied for registry.example/nope";
  await emu.addFaults([{ task: "failToStart", stoppedReason: reason, times: 1 }]);
  const arn = (await ecs.send(new RunTaskCommand(runInput()))).tasks![0]!.taskArn!;
  const t = await waitForStatus(ecs, cluster, arn, ["STOPPED"]);
  assert.equal(t.stopCode, "TaskFailedToStart");
  assert.equal(t.stoppedReason, reason);
  assert.equal(t.containers?.[0]?.reason, reason);
  assert.equal(t.startedAt, undefined);
});

test("stopWhenRunning: a Spot task is interrupted after a delay once RUNNING, on-demand tasks are not", async () => {
  await emu.addFaults([{ task: "stopWhenRunning", afterMs: 300, stopCode: "SpotInterruption", capacityProvider: "FARGATE_SPOT", times: 1 }]);
  const od = (await ecs.send(new RunTaskCommand(runInput()))).tasks![0]!.taskArn!;
  const spot = (await ecs.send(new RunTaskCommand(runInput({ capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] })))).tasks![0]!.taskArn!;
  const t = await waitForStatus(ecs, cluster, spot, ["STOPPED"]);
  assert.ok(t.startedAt, "it was RUNNING first");
  assert.equal(t.stopCode, "SpotInterruption");
  assert.equal(t.stoppedReason, "Your Spot Task was interrupted.");
  const o = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [od] }))).tasks![0]!;
  assert.equal(o.desiredStatus, "RUNNING");
});

test("ssh refuse: the first connection is reset before any SSH byte, the next gets a banner", async () => {
  await emu.addFaults([{ ssh: "refuse", times: 1 }]);
  const task = await untilSshRunning(await runSshTask());
  const firstBytes = () =>
    new Promise<string>((resolve) => {
      const s = net.connect({ host: task.publicIp!, port: task.port });
      let data = "";
      s.setTimeout(10_000, () => s.destroy());
      s.on("data", (d) => {
        data += d.toString("latin1");
        if (data.includes("\n")) s.destroy();
      });
      s.on("close", () => resolve(data));
      s.on("error", () => {});
    });
  assert.equal(await firstBytes(), "");
  assert.match(await firstBytes(), /^SSH-2\.0-/);
  assert.deepEqual(await emu.control("GET", "/_emulator/faults"), []);
});

test("ssh startDelayMs: the SSH port opens only that long after RUNNING", async () => {
  await emu.addFaults([{ ssh: "startDelayMs", value: 1500 }]);
  const running = await runSshTask();
  assert.equal(running.sshRunning, false);
  assert.equal(await tcpProbe(running.publicIp!), "ECONNREFUSED", "not open right after RUNNING");
  const started = await untilSshRunning(running);
  assert.ok(started.timings.sshStarted! - started.timings.running! >= 1500, JSON.stringify(started.timings));
  assert.equal((await ssh2Run(started.publicIp!, key.privateKey, "echo up")).stdout.toString(), "up\n");
});

test("ssh dropAfterMs: the session is cut that long after the connection was accepted", async () => {
  await emu.addFaults([{ ssh: "dropAfterMs", value: 700, times: 1 }]);
  const task = await untilSshRunning(await runSshTask());
  const connectedAt = Date.now();
  const connection = await ssh2Connect(task.publicIp!, key.privateKey);
  const closed = new Promise<void>((resolve) => connection.client.on("close", () => resolve()));
  const command = ssh2Exec(connection, "sleep 10; echo finished").catch((e: Error) => e);
  await within(closed, 8_000, "the dropped connection to close");
  assert.ok(Date.now() - connectedAt >= 600, `cut after ${Date.now() - connectedAt} ms`);
  const outcome = await command;
  assert.ok(outcome instanceof Error || !outcome.stdout.toString().includes("finished"), "the command never finished");
  assert.equal((await ssh2Run(task.publicIp!, key.privateKey, "echo next")).stdout.toString(), "next\n", "the next connection is not cut");
});

test("ssh changeHostKey: one connection shows another host key, the next the task's own", async () => {
  await emu.addFaults([{ ssh: "changeHostKey", times: 1 }]);
  const task = await untilSshRunning(await runSshTask());
  const own = task.hostKey!.split(" ").slice(0, 2).join(" ");
  const changed = await ssh2Run(task.publicIp!, key.privateKey, "echo changed");
  assert.equal(changed.stdout.toString(), "changed\n");
  assert.match(changed.hostKey, /^ssh-ed25519 /);
  assert.notEqual(changed.hostKey, own);
  assert.equal((await ssh2Run(task.publicIp!, key.privateKey, "true")).hostKey, own);
});

test("reset restores the seeded world and clears faults", async () => {
  await emu.addFaults([{ op: "RunTask", error: "ServerException" }]);
  await emu.reset();
  assert.deepEqual(await emu.control("GET", "/_emulator/faults"), []);
  assert.deepEqual(await emu.tasks(), []);
  assert.equal((await ecs.send(new RunTaskCommand(runInput()))).tasks?.length, 1);
});
