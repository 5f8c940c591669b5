// One SSH connection attempt with our job key and host-key checking, and the translation of its
// failures into the Go driver's wording ("dial tcp ...: connect: connection refused"), which users
// already search for.
import ssh2 from "ssh2";
import type { Socket } from "node:net";
import type { Client } from "ssh2";
import { DriverError } from "../errors.js";
import { abbreviateHostKey, formatHostKey, sameHostKey } from "./host-key.js";

/** Where and as whom to connect. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
}

/** One attempt's bounds and expectations. */
export interface ConnectOptions {
  /** Upper bound for TCP connect plus SSH handshake and authentication. */
  timeoutMs: number;
  /** The recorded host key; when set, any other key is refused. */
  expectedHostKey?: string;
  signal?: AbortSignal;
  /** A TCP connection to the target already opened (see early-socket.ts); otherwise ssh2 connects. */
  socket?: Socket;
}

/** Why an attempt failed, coarse enough to decide whether to retry. */
export type SshFailureKind = "refused" | "reset" | "timeout" | "unreachable" | "auth" | "host-key" | "aborted" | "other";

/** A failed connection attempt: `cause` text in the Go driver's style, plus its kind. */
export class SshConnectError extends DriverError {
  constructor(
    readonly kind: SshFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(kind === "host-key" ? "ssh_host_key_mismatch" : "ssh_connect_failed", message, "system", options);
  }
}

/** An open, authenticated connection and the host key the server presented. */
export interface SshConnection {
  client: Client;
  hostKey: string;
}

function classify(err: NodeJS.ErrnoException & { level?: string }, target: SshTarget): SshConnectError {
  const where = `${target.host}:${target.port}`;
  switch (err.code) {
    case "ECONNREFUSED":
      return new SshConnectError("refused", `dial tcp ${where}: connect: connection refused`, { cause: err });
    case "ECONNRESET":
    case "EPIPE":
      return new SshConnectError("reset", `ssh: handshake failed: read tcp ${where}: connection reset by peer`, { cause: err });
    case "ETIMEDOUT":
      return new SshConnectError("timeout", `dial tcp ${where}: connect: connection timed out`, { cause: err });
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EADDRNOTAVAIL":
      return new SshConnectError("unreachable", `dial tcp ${where}: connect: no route to host`, { cause: err });
  }
  if (err.level === "client-timeout") {
    return new SshConnectError("timeout", `dial tcp ${where}: connect: connection timed out`, { cause: err });
  }
  if (err.level === "client-authentication") {
    return new SshConnectError(
      "auth",
      "ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain",
      { cause: err },
    );
  }
  // A server that closes during the handshake without an error is a reset for our purposes.
  const message = err.message || String(err);
  if (/closed|ended|reset/i.test(message)) {
    return new SshConnectError("reset", `ssh: handshake failed: ${message}`, { cause: err });
  }
  return new SshConnectError("other", `ssh: handshake failed: ${message}`, { cause: err });
}

/** Opens one authenticated connection; rejects with SshConnectError. */
export function connectSsh(target: SshTarget, options: ConnectOptions): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let presented: string | undefined;
    let settled = false;
    const finish = (err: SshConnectError | undefined) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      if (err) {
        client.removeAllListeners("ready");
        client.on("error", () => undefined); // late errors from a connection we gave up on
        client.destroy();
        reject(err);
      } else {
        resolve({ client, hostKey: presented ?? "" });
      }
    };
    const onAbort = () => finish(new SshConnectError("aborted", "connection attempt cancelled"));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    client.on("ready", () => finish(undefined));
    client.on("error", (err) => {
      if (presented !== undefined && options.expectedHostKey && !sameHostKey(presented, options.expectedHostKey)) {
        finish(
          new SshConnectError(
            "host-key",
            `ssh: handshake failed: ssh: host key mismatch: the server presented ${abbreviateHostKey(presented)} but prepare ` +
              `recorded ${abbreviateHostKey(options.expectedHostKey)}: possible man-in-the-middle attack, or the address now ` +
              "belongs to another task; refusing to connect",
            { cause: err },
          ),
        );
        return;
      }
      finish(classify(err, target));
    });
    client.on("close", () => finish(new SshConnectError("reset", `ssh: handshake failed: connection to ${target.host}:${target.port} closed`)));
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      sock: options.socket,
      // Straight to our key: the default first asks with "none", one round trip and sshd check more.
      authHandler: ["publickey"],
      readyTimeout: options.timeoutMs,
      // Detect a vanished task during long scripts: ~45 s without an answer ends the session.
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        presented = formatHostKey(key);
        return options.expectedHostKey === undefined || sameHostKey(presented, options.expectedHostKey);
      },
    });
  });
}
