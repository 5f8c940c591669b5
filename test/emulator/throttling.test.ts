// AWS's rate limits in the real process: a RunTask burst gets ThrottlingException (HTTP 400,
// "Rate exceeded") without SDK retries, clears after refill, and the control API changes it all.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RunTaskCommand, type ECSClient } from "@aws-sdk/client-ecs";
import { DescribeSubnetsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { sdkClients } from "../../emulator/testing/sdk-clients.js";

let emu: EmulatorHandle;
let ecs: ECSClient;
let ec2: EC2Client;

const runInput = (count = 1) => ({
  cluster: "test-cluster",
  taskDefinition: "test-task:1",
  count,
  networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx"] } },
});

async function burst(n: number): Promise<{ ok: number; throttled: number; other: string[] }> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => ecs.send(new RunTaskCommand(runInput()))));
  const out = { ok: 0, throttled: 0, other: [] as string[] };
  for (const r of results) {
    if (r.status === "fulfilled") out.ok++;
    else {
      const e = r.reason as Error & { $metadata?: { httpStatusCode?: number } };
      if (e.name === "ThrottlingException" && e.message === "Rate exceeded" && e.$metadata?.httpStatusCode === 400) out.throttled++;
      else out.other.push(`${e.name}: ${e.message}`);
    }
  }
  return out;
}

before(async () => {
  // --ssh none: 40+ tasks need no SSH servers to test rate limits.
  emu = await startEmulator({ args: ["--ssh", "none"] });
  ({ ecs, ec2 } = sdkClients(emu.endpoint, { maxAttempts: 1 }));
});

after(async () => {
  ecs?.destroy();
  ec2?.destroy();
  await emu?.stop();
});

test("60 concurrent RunTask calls: some are throttled, and the bucket refills", async () => {
  const first = await burst(60);
  assert.deepEqual(first.other, []);
  assert.ok(first.ok >= 20, `burst of 20 goes through (ok ${first.ok})`);
  assert.ok(first.throttled > 0, "some are throttled");
  await new Promise((r) => setTimeout(r, 1100)); // 20/s refill: a full bucket again
  const again = await burst(5);
  assert.deepEqual(again, { ok: 5, throttled: 0, other: [] });
  const reqs = (await emu.requests()) as Array<{ operation: string; outcome: string; status: number }>;
  assert.ok(reqs.some((r) => r.operation === "RunTask" && r.outcome === "ThrottlingException" && r.status === 400));
});

test("the control API turns throttling off, changes rates, and reset restores the defaults", async () => {
  await emu.control("PUT", "/_emulator/throttling", { enabled: false });
  assert.deepEqual(await burst(40), { ok: 40, throttled: 0, other: [] });
  await emu.control("PUT", "/_emulator/throttling", { enabled: true, rates: { launches: { burst: 5, perSecond: 0.001 } } });
  await assert.rejects(ecs.send(new RunTaskCommand(runInput(10))), { name: "ThrottlingException" });
  await ecs.send(new RunTaskCommand(runInput(5)));
  await assert.rejects(ecs.send(new RunTaskCommand(runInput(1))), { name: "ThrottlingException" });
  await emu.control("PUT", "/_emulator/throttling", { rates: { ec2Read: { burst: 2, perSecond: 0.001 } } });
  await ec2.send(new DescribeSubnetsCommand({}));
  await ec2.send(new DescribeSubnetsCommand({}));
  await assert.rejects(ec2.send(new DescribeSubnetsCommand({})), (e: Error & { $metadata: { httpStatusCode: number } }) => {
    assert.equal(e.name, "RequestLimitExceeded");
    assert.equal(e.$metadata.httpStatusCode, 503);
    return true;
  });
  await assert.rejects(emu.control("PUT", "/_emulator/throttling", { rates: { nope: { burst: 1 } } }), /HTTP 400/);
  await emu.reset();
  const settings = (await emu.control("GET", "/_emulator/throttling")) as { enabled: boolean; rates: Record<string, { burst: number }> };
  assert.equal(settings.enabled, true);
  assert.equal(settings.rates.launches?.burst, 100);
  await ecs.send(new RunTaskCommand(runInput(10)));
});

test("--no-throttle starts with throttling off", async () => {
  const quiet = await startEmulator({ args: ["--ssh", "none", "--no-throttle"] });
  const c = sdkClients(quiet.endpoint, { maxAttempts: 1 }).ecs;
  try {
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => c.send(new RunTaskCommand(runInput()))));
    assert.equal(results.filter((r) => r.status === "rejected").length, 0);
  } finally {
    c.destroy();
    await quiet.stop();
  }
});
