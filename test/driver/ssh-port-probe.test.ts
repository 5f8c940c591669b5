// The TCP probe prepare uses to learn the moment a task's sshd listens.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type AddressInfo, type Server } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { portAccepts, whenPortOpens } from "../../src/ssh/port-probe.js";

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

describe("port probe", () => {
  it("tells an open port from a closed one", async () => {
    const server: Server = createServer((socket) => socket.destroy());
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      assert.equal(await portAccepts("127.0.0.1", (server.address() as AddressInfo).port, 1000), true);
    } finally {
      server.close();
    }
    assert.equal(await portAccepts("127.0.0.1", await freeLoopbackPort(), 1000), false);
  });

  it("resolves soon after the port starts listening", async () => {
    const port = await freeLoopbackPort();
    const waiting = whenPortOpens("127.0.0.1", port, { signal: AbortSignal.timeout(5000), intervalMs: 20 });
    await sleep(200);
    const server = createServer((socket) => socket.destroy());
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    try {
      assert.equal(await waiting, true);
    } finally {
      server.close();
    }
  });

  it("gives up with false when aborted", async () => {
    const port = await freeLoopbackPort();
    const controller = new AbortController();
    const waiting = whenPortOpens("127.0.0.1", port, { signal: controller.signal, intervalMs: 20 });
    await sleep(100);
    controller.abort();
    assert.equal(await waiting, false);
  });
});
