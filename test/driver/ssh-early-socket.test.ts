// The TCP connection run opens before loading ssh2: handed over while usable, dropped once failed.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type AddressInfo, type Server } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { openEarlySocket } from "../../src/ssh/early-socket.js";

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

describe("early socket", () => {
  it("hands over a live connection with what the server already sent still unread", async () => {
    const server = createServer((socket) => socket.end("SSH-2.0-banner\r\n"));
    const port = await listen(server);
    try {
      const early = openEarlySocket("127.0.0.1", port);
      await sleep(100); // the banner arrives while nobody reads
      const socket = early.take();
      assert.ok(socket, "a usable socket");
      const chunks: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      await once(socket, "end");
      assert.equal(Buffer.concat(chunks).toString(), "SSH-2.0-banner\r\n");
      socket.destroy();
    } finally {
      server.close();
    }
  });

  it("gives nothing (and does not crash) when the connection was refused", async () => {
    const server = createServer();
    const port = await listen(server);
    server.close(); // a loopback port that is now closed
    await once(server, "close");
    const early = openEarlySocket("127.0.0.1", port);
    await sleep(100);
    assert.equal(early.take(), undefined);
  });
});
