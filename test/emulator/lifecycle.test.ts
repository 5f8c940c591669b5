// The task lifecycle in the real process at a small time scale, observed through the SDK: order
// and presence of states and timestamps (never milliseconds), and essential-container exits.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { sdkClients, waitForStatus } from "../../emulator/testing/sdk-clients.js";

const order = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"];
const cluster = "test-cluster";
let emu: EmulatorHandle;
let ecs: ECSClient;

before(async () => {
  emu = await startEmulator({ timeScale: 0.05, args: ["--no-throttle"] });
  ecs = sdkClients(emu.endpoint).ecs;
});

after(async () => {
  ecs?.destroy();
  await emu?.stop();
});

async function run(): Promise<string> {
  const out = await ecs.send(
    new RunTaskCommand({
      cluster,
      taskDefinition: "test-task:1",
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx"], assignPublicIp: "DISABLED" } },
    }),
  );
  return out.tasks![0]!.taskArn!;
}

/** Polls until STOPPED (bounded), returning every distinct lastStatus seen and the last task. */
async function observe(arn: string, onStatus?: (t: Task) => Promise<void>): Promise<{ seen: string[]; last: Task }> {
  const seen: string[] = [];
  const deadline = Date.now() + 60_000;
  let last: Task | undefined;
  while (Date.now() < deadline) {
    last = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0]!;
    if (seen.at(-1) !== last.lastStatus) {
      seen.push(last.lastStatus!);
      await onStatus?.(last);
    }
    if (last.lastStatus === "STOPPED") return { seen, last };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`task ${arn} not STOPPED in time; saw ${seen.join(" > ")}`);
}

test("states only move forward, timestamps follow them, the SSH server runs while RUNNING", async () => {
  const arn = await run();
  let stopped = false;
  const { seen, last } = await observe(arn, async (t) => {
    if (t.lastStatus === "RUNNING" && !stopped) {
      stopped = true;
      const tasks = await emu.tasks();
      for (let i = 0; i < 200 && !tasks.find((x) => x.taskArn === arn)?.sshRunning; i++) {
        await new Promise((r) => setTimeout(r, 20));
        tasks.splice(0, tasks.length, ...(await emu.tasks()));
      }
      assert.ok(tasks.find((x) => x.taskArn === arn)?.sshRunning, "SSH server started after RUNNING");
      await ecs.send(new StopTaskCommand({ cluster, task: arn }));
    }
  });
  const idx = seen.map((s) => order.indexOf(s));
  assert.ok(idx.every((v, i) => v >= 0 && (i === 0 || v > idx[i - 1]!)), `forward only: ${seen.join(" > ")}`);
  assert.ok(seen.includes("RUNNING") && seen.at(-1) === "STOPPED");
  const ts = ["createdAt", "connectivityAt", "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "executionStoppedAt", "stoppedAt"] as const;
  for (let i = 1; i < ts.length; i++) assert.ok(last[ts[i - 1]]! <= last[ts[i]]!, `${ts[i - 1]} <= ${ts[i]}`);
  assert.equal(last.stopCode, "UserInitiated");
  assert.ok([143, 137].includes(last.containers?.[0]?.exitCode ?? -1), "SIGTERM (or SIGKILL after the scaled stopTimeout on a loaded machine)");
  const mine = (await emu.tasks()).find((t) => t.taskArn === arn)!;
  const timingOrder = order.map((s) => mine.timings[s.toLowerCase()]);
  assert.ok(timingOrder.every((v) => typeof v === "number"), JSON.stringify(mine.timings));
  assert.ok(timingOrder.every((v, i) => i === 0 || v! >= timingOrder[i - 1]!));
  assert.equal(mine.sshRunning, false);
});

test("crashing the SSH server stops the task with EssentialContainerExited", async () => {
  const arn = await run();
  await waitForStatus(ecs, cluster, arn, ["RUNNING"]);
  const id = arn.split("/").pop()!;
  for (let i = 0; i < 200 && !(await emu.tasks()).find((t) => t.taskId === id)?.sshRunning; i++) await new Promise((r) => setTimeout(r, 20));
  await emu.control("POST", `/_emulator/tasks/${id}/crash-ssh`);
  const t = await waitForStatus(ecs, cluster, arn, ["STOPPED"]);
  assert.equal(t.stopCode, "EssentialContainerExited");
  assert.equal(t.stoppedReason, "Essential container in task exited");
  await assert.rejects(emu.control("POST", `/_emulator/tasks/${id}/crash-ssh`), /409/);
  await assert.rejects(emu.control("POST", `/_emulator/tasks/nope/crash-ssh`), /404/);
});
