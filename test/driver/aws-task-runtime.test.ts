// The ECS/EC2 adapter against the emulator over HTTP: region choice, retries that never start a
// second task, describeStop for stopped and unknown tasks, and public-IP lookups through EC2.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MAX_ATTEMPTS } from "../../src/aws/clients.js";
import { createTaskRuntime } from "../../src/aws/task-runtime.js";
import { generateJobKeyPair } from "../../src/ssh/keys.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoTaskRunning, useEmulatorEnv } from "./stages-e2e-support.js";

const startOptions = {
  cluster: "test-cluster",
  taskDefinition: "test-task:1",
  subnets: ["subnet-xxxxxx"],
  securityGroups: ["sg-xxxxxxxxxxxxx"],
  enablePublicIp: true,
  platformVersion: undefined,
  publicKey: generateJobKeyPair("t").publicKey,
  labels: { jobId: "1" },
};

describe("ECS task runtime", () => {
  let emulator: EmulatorHandle;

  before(async () => {
    emulator = await startEmulator({ timeScale: 0.02 });
    useEmulatorEnv(emulator);
  });
  after(async () => {
    await emulator?.stop();
  });

  it("uses the configured region over AWS_REGION, and AWS_REGION without one", async () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = "eu-west-1";
    const runtime = createTaskRuntime("test-cluster", "us-east-2");
    try {
      const arn = await runtime.runTask(startOptions);
      assert.match(arn, /^arn:aws:ecs:us-east-2:/);
      await runtime.stopTask(arn, "test");
    } finally {
      runtime.close();
      process.env.AWS_REGION = saved;
    }
    const fromEnv = createTaskRuntime("test-cluster", undefined);
    try {
      const arn = await fromEnv.runTask(startOptions);
      assert.match(arn, /^arn:aws:ecs:us-east-2:/);
      await fromEnv.stopTask(arn, "test");
    } finally {
      fromEnv.close();
    }
    await assertNoTaskRunning(emulator);
  });

  it("retries throttled and failed RunTask calls without starting a second task", async () => {
    const before = (await emulator.tasks()).length;
    await emulator.addFaults([
      { op: "RunTask", error: "ThrottlingException", times: 1 },
      { op: "RunTask", error: "ServerException", times: 1 },
    ]);
    const runtime = createTaskRuntime("test-cluster", "us-east-2");
    try {
      const arn = await runtime.runTask(startOptions);
      assert.equal((await emulator.tasks()).length, before + 1);
      const task = await runtime.waitUntilRunning(arn, { timeoutMs: 30_000, signal: new AbortController().signal });
      const publicIp = await runtime.resolveAddress(task, true);
      const view = (await emulator.tasks()).find((t) => t.taskArn === arn);
      assert.equal(publicIp, view?.publicIp);
      assert.equal(await runtime.resolveAddress(task, false), view?.privateIp);
      assert.equal(await runtime.describeStop(arn), undefined);
      await runtime.stopTask(arn, "Job 1 finished (test)");
      assert.match((await runtime.describeStop(arn)) ?? "", /^task \w+ is \w+: UserInitiated: Job 1 finished \(test\)/);
      await runtime.stopTask(arn, "again"); // already stopped: fine
    } finally {
      runtime.close();
    }
    await assertNoTaskRunning(emulator);
  });

  it(`makes ${MAX_ATTEMPTS} attempts in all on a retryable error`, async () => {
    await emulator.control("DELETE", "/_emulator/requests");
    await emulator.addFaults([{ op: "DescribeTasks", error: "ServerException", times: 10 }]);
    const runtime = createTaskRuntime("test-cluster", "us-east-2");
    try {
      await assert.rejects(runtime.describeStop("arn:aws:ecs:us-east-2:123456789012:task/test-cluster/0"), { name: "ServerException" });
    } finally {
      runtime.close();
      await emulator.control("DELETE", "/_emulator/faults");
    }
    const calls = ((await emulator.requests()) as { operation: string }[]).filter((r) => r.operation === "DescribeTasks");
    assert.equal(calls.length, MAX_ATTEMPTS);
  });

  it("explains an unknown task, and gives up on errors that are not retryable", async () => {
    const runtime = createTaskRuntime("test-cluster", "us-east-2");
    try {
      const unknown = "arn:aws:ecs:us-east-2:123456789012:task/test-cluster/00000000000000000000000000000000";
      assert.match((await runtime.describeStop(unknown)) ?? "", /unknown to ECS \(MISSING\)/);
      await runtime.stopTask(unknown, "nothing to stop");
      await emulator.addFaults([{ op: "RunTask", error: "AccessDeniedException", message: "no ecs:RunTask", times: 1 }]);
      await assert.rejects(runtime.runTask(startOptions), /^DriverError: error starting AWS Fargate Task: AccessDeniedException: no ecs:RunTask$/);
    } finally {
      runtime.close();
    }
  });
});
