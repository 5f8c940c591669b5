// Address allocation and token buckets, without sockets or sleeping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AddressBlock, probeBind, randomBlock } from "../../emulator/model/addresses.js";
import { Throttle } from "../../emulator/throttle.js";
import { isFargateSize } from "../../emulator/model/cpu-memory.js";

test("private and public addresses are unique, in the block's halves, never 127.0.0.1", async () => {
  const block = new AddressBlock(9, async () => true);
  assert.equal(block.subnetCidr("us-east-2/subnet-a"), "127.9.0.0/21");
  assert.equal(block.subnetCidr("us-east-2/subnet-b"), "127.9.8.0/21");
  const seen = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const p = await block.allocatePrivate("us-east-2/subnet-a", 22);
    const q = await block.allocatePublic(22);
    for (const ip of [p, q]) {
      assert.ok(!seen.has(ip), `duplicate ${ip}`);
      seen.add(ip);
      assert.notEqual(ip, "127.0.0.1");
      assert.ok(!/\.(0|255)$/.test(ip));
    }
    const [, , third] = p.split(".").map(Number);
    assert.ok(third! < 8, `${p} in subnet a's /21`);
    assert.ok(Number(q.split(".")[2]) >= 128, `${q} in the upper half`);
  }
  const b = await block.allocatePrivate("us-east-2/subnet-b", 22);
  assert.match(b, /^127\.9\.(8|9|1[0-5])\./);
});

test("an address already bound elsewhere is skipped", async () => {
  const busy = new Set(["127.9.0.1", "127.9.0.2"]);
  const block = new AddressBlock(9, async (ip) => !busy.has(ip));
  assert.equal(await block.allocatePrivate("r/s", 22), "127.9.0.3");
});

test("concurrent allocations never hand out the same address", async () => {
  const block = new AddressBlock(9, () => new Promise((r) => setTimeout(() => r(true), 5)));
  const ips = await Promise.all(Array.from({ length: 20 }, () => block.allocatePrivate("r/s", 22)));
  assert.equal(new Set(ips).size, 20);
});

test("the real bind probe sees a port in use", async () => {
  const net = await import("node:net");
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  assert.equal(await probeBind("127.0.0.1", port), false);
  await new Promise((r) => server.close(r));
  assert.equal(await probeBind("127.0.0.1", port), true);
});

test("random blocks stay in 2..254 and invalid blocks are refused", () => {
  for (let i = 0; i < 1000; i++) {
    const b = randomBlock();
    assert.ok(b >= 2 && b <= 254);
  }
  assert.throws(() => new AddressBlock(0));
  assert.throws(() => new AddressBlock(255));
});

test("token buckets: burst, refusal, refill; disabled means unlimited", () => {
  let now = 0;
  const t = new Throttle(true, () => now);
  for (let i = 0; i < 20; i++) assert.ok(t.take("us-east-2", "runTask"));
  assert.equal(t.take("us-east-2", "runTask"), false);
  assert.ok(t.take("eu-west-1", "runTask"), "buckets are per region");
  now += 100; // 20/s refills 2 tokens
  assert.ok(t.take("us-east-2", "runTask"));
  assert.ok(t.take("us-east-2", "runTask"));
  assert.equal(t.take("us-east-2", "runTask"), false);
  assert.ok(t.take("us-east-2", "launches", 100));
  assert.equal(t.take("us-east-2", "launches", 1), false);
  assert.ok(t.take("us-east-2", "spotLaunches", 100), "Spot launches have their own bucket");
  assert.equal(t.takeAll("us-east-2", [["ecsWrite", 1], ["spotLaunches", 1]]), false);
  assert.ok(t.take("us-east-2", "ecsWrite", 50), "all or nothing: the failed takeAll took nothing");
  t.configure({ enabled: false });
  assert.ok(t.take("us-east-2", "launches", 1000));
  t.reset();
  t.configure({ rates: { ecsRead: { burst: 1 } } });
  assert.ok(t.take("us-east-2", "ecsRead"));
  assert.equal(t.take("us-east-2", "ecsRead"), false);
});

test("Fargate CPU/memory pairs", () => {
  assert.ok(isFargateSize(256, 512));
  assert.ok(isFargateSize(256, 1024));
  assert.ok(isFargateSize(256, 2048));
  assert.ok(!isFargateSize(256, 1536), "256 CPU allows only 512, 1024 and 2048 MiB");
  assert.ok(isFargateSize(512, 4096));
  assert.ok(!isFargateSize(512, 1536));
  assert.ok(isFargateSize(8192, 61440));
  assert.ok(!isFargateSize(16384, 36864), "16 vCPU goes in 8 GiB steps");
  assert.ok(!isFargateSize(256, 4096));
  assert.ok(isFargateSize(4096, 30720));
  assert.ok(!isFargateSize(8192, 17408), "8 vCPU goes in 4 GiB steps");
  assert.ok(isFargateSize(16384, 40960));
  assert.ok(!isFargateSize(300, 1024));
});
