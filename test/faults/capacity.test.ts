// Fault matrix, capacity: RunTask answering "Capacity is unavailable" is retried on the other
// configured subnets, then again after a jittered pause; a lasting shortage fails prepare as a
// system failure quoting AWS's reason, with no task started and nothing left after cleanup.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertSystemFailure, FaultCase, sshKindSkip } from "./support.js";

const NO_CAPACITY = "Capacity is unavailable at this time. Please try again later or in a different availability zone";

interface Request {
  operation: string;
  outcome: string;
  parameters?: { startedBy?: string; networkConfiguration?: { awsvpcConfiguration?: { subnets?: string[] } } };
}

describe("capacity failures (embedded sshd)", { skip: await sshKindSkip("embedded"), concurrency: true }, () => {
  let emulator: EmulatorHandle;
  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.03 });
    await emulator.control("POST", "/_emulator/subnets", { subnetId: "subnet-bbbbbb", availabilityZone: "us-east-2b" });
  });
  after(async () => {
    await emulator?.stop();
  });

  // The subnets this case's RunTask calls named, in order.
  async function runTaskSubnets(c: FaultCase): Promise<string[]> {
    return ((await emulator.requests()) as Request[])
      .filter((r) => r.operation === "RunTask" && r.parameters?.startedBy === c.startedBy)
      .map((r) => r.parameters?.networkConfiguration?.awsvpcConfiguration?.subnets?.join(",") ?? "?");
  }

  it("a subnet without capacity: the task starts in the next configured subnet", async () => {
    const c = new FaultCase(emulator, "next-subnet");
    await emulator.addFaults([{ op: "RunTask", failure: NO_CAPACITY, subnet: "subnet-xxxxxx", startedBy: c.startedBy }]);
    c.config({ fargate: '  Subnets = ["subnet-bbbbbb"]' });
    const prepare = await c.cli(["prepare"]);
    assert.equal(prepare.code, 0, prepare.stderr);
    assert.match(prepare.stderr, /subnet subnet-xxxxxx: Capacity is unavailable at this time/);
    assert.deepEqual(await runTaskSubnets(c), ["subnet-xxxxxx", "subnet-bbbbbb"]);
    const tasks = await c.tasks();
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0]?.subnetId, "subnet-bbbbbb");
    await c.cleanupAndCheck();
  });

  it("a passing shortage on the only subnet: retried after a pause, then the task starts", async () => {
    const c = new FaultCase(emulator, "passing");
    await emulator.addFaults([{ op: "RunTask", failure: NO_CAPACITY, startedBy: c.startedBy, times: 2 }]);
    const prepare = await c.cli(["prepare"]);
    assert.equal(prepare.code, 0, prepare.stderr);
    assert.match(prepare.stderr, /no capacity in any configured subnet \(Capacity is unavailable.*\); trying again in \d+\.\d s/);
    assert.deepEqual(await runTaskSubnets(c), ["subnet-xxxxxx", "subnet-xxxxxx", "subnet-xxxxxx"]);
    assert.equal((await c.tasks()).length, 1);
    await c.cleanupAndCheck();
  });

  it("no capacity anywhere: a system failure quoting AWS's reason and naming the subnets, no task", async () => {
    const c = new FaultCase(emulator, "none");
    await emulator.addFaults([{ op: "RunTask", failure: NO_CAPACITY, startedBy: c.startedBy }]);
    c.config({ fargate: '  Subnets = ["subnet-bbbbbb"]' });
    const prepare = await c.cli(["prepare"]);
    assertSystemFailure(
      prepare,
      /^ERROR: starting new Fargate task: running new task on Fargate: error starting AWS Fargate Task: Capacity is unavailable at this time\. Please try again later or in a different availability zone \(tried subnets subnet-xxxxxx, subnet-bbbbbb, 3 times each\); add subnets in other availability zones/,
    );
    assert.equal((await runTaskSubnets(c)).length, 6);
    assert.equal((await c.tasks()).length, 0);
    await c.cleanupAndCheck();
  });

  it("an error that is not about capacity is not retried: the system failure quotes it", async () => {
    const c = new FaultCase(emulator, "no-cluster");
    const config = c.config();
    writeFileSync(config, readFileSync(config, "utf8").replace('Cluster = "test-cluster"', 'Cluster = "no-such-cluster"'));
    const prepare = await c.cli(["prepare"]);
    assertSystemFailure(prepare, /^ERROR: starting new Fargate task: running new task on Fargate: error starting AWS Fargate Task: ClusterNotFoundException: Cluster not found\.$/);
    assert.equal((await runTaskSubnets(c)).length, 1);
    assert.equal((await c.tasks()).length, 0);
    await c.cleanupAndCheck();
  });
});
