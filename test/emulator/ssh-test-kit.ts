// Shared helpers of the ssh-*.test.ts files: a fake ContainerLaunch on a random loopback
// address, the OpenSSH and ssh2 clients with bounded timeouts, and /proc checks.
import { spawn } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { generateHostKey } from "../../emulator/containers/host-keys.js";
import { createRuntime } from "../../emulator/containers/index.js";
import type { ConnectionFault, ContainerLaunch, RunningContainer } from "../../emulator/containers/types.js";

const { Client, utils } = ssh2;

/** Both runtimes; every behaviour test runs against each. */
export const KINDS = ["embedded", "openssh"] as const;

/** How long any one client operation may take before the test fails instead of hanging. */
export const CLIENT_TIMEOUT_MS = 20_000;

/** A client key pair, with the private key also on disk for the ssh CLI. */
export interface ClientKey {
  publicKey: string;
  privateKey: string;
  path: string;
}

/** Makes a fresh ed25519 client key in dir (not with ssh2's generator: see host-keys.ts). */
export function makeClientKey(dir: string, name = "id_ed25519"): ClientKey {
  const pair = generateHostKey("test-client");
  const path = join(dir, name);
  writeFileSync(path, pair.privateKey, { mode: 0o600 });
  return { publicKey: `${pair.publicKey} test-client`, privateKey: pair.privateKey, path };
}

/** A random 127.x.y.z, so parallel test files never share an address. */
export function randomLoopback(): string {
  return `127.${randomInt(2, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** A started task of one runtime, with what the test needs to drive and check it. */
export interface TestTask {
  running: RunningContainer;
  launch: ContainerLaunch;
  address: string;
  workDir: string;
  key: ClientKey;
  /** Faults handed out to the next accepted connections, in order. */
  faults: (ConnectionFault | undefined)[];
  /** Resolves with the reason once onUnexpectedExit is called. */
  unexpectedExit: Promise<string>;
  stop(): Promise<{ exitCode: number }>;
}

/** A launch for a fresh task (not started). */
export function makeLaunch(): { launch: ContainerLaunch; key: ClientKey; faults: (ConnectionFault | undefined)[]; unexpectedExit: Promise<string> } {
  const workDir = mkdtempSync(join(tmpdir(), "ssh-test-"));
  const key = makeClientKey(mkdtempSync(join(tmpdir(), "ssh-test-key-")));
  const faults: (ConnectionFault | undefined)[] = [];
  let report: (reason: string) => void = () => undefined;
  const unexpectedExit = new Promise<string>((resolve) => (report = resolve));
  const launch: ContainerLaunch = {
    taskId: `t${randomUUID().replaceAll("-", "").slice(0, 16)}`,
    addresses: [randomLoopback()],
    port: 22,
    authorizedKey: key.publicKey,
    workDir,
    connectionFault: () => faults.shift(),
    onUnexpectedExit: (reason) => report(reason),
  };
  return { launch, key, faults, unexpectedExit };
}

/** Starts a task of the given runtime; stop() stops it and removes its temp dirs. */
export async function startTask(kind: (typeof KINDS)[number]): Promise<TestTask> {
  const { launch, key, faults, unexpectedExit } = makeLaunch();
  const running = await createRuntime(kind).start(launch);
  return {
    running,
    launch,
    address: launch.addresses[0],
    workDir: launch.workDir,
    key,
    faults,
    unexpectedExit,
    stop: async () => {
      const result = await running.stop(2000);
      rmSync(launch.workDir, { recursive: true, force: true });
      rmSync(join(key.path, ".."), { recursive: true, force: true });
      return result;
    },
  };
}

/** What a finished SSH command gave back. */
export interface CommandResult {
  code: number | null;
  signal: string | undefined;
  stdout: Buffer;
  stderr: Buffer;
}

/**
 * The OpenSSH client's arguments for `command` on address:22; extra options win (ssh keeps an
 * option's first value). `-F /dev/null`: neither ~/.ssh/config nor /etc/ssh/ssh_config is read,
 * so no Host block (HostName, ProxyJump, ProxyCommand, Port, ...) can send the client elsewhere.
 */
export function sshCliArgs(address: string, keyPath: string, command: string, extra: string[] = []): string[] {
  return [
    "-F", "/dev/null",
    ...extra,
    "-i", keyPath,
    "-o", "IdentitiesOnly=yes",
    "-o", "IdentityAgent=none",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes",
    "-o", "LogLevel=ERROR",
    "-o", "ConnectTimeout=15",
    "-p", "22",
    `root@${address}`,
    command,
  ];
}

/** Runs a command with the OpenSSH client (see sshCliArgs). */
export function sshCli(address: string, keyPath: string, command: string, options: { input?: Buffer; extra?: string[] } = {}): Promise<CommandResult> {
  const args = sshCliArgs(address, keyPath, command, options.extra);
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", args, { stdio: "pipe" });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ssh ${command}: no answer within ${CLIENT_TIMEOUT_MS} ms`));
    }, CLIENT_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal: signal ?? undefined, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

/** An ssh2 client connection, with the host key it was shown. */
export interface Ssh2Connection {
  client: InstanceType<typeof Client>;
  /** "ssh-ed25519 AAAA..." as presented by the server. */
  hostKey: string;
}

/** Connects and logs in with ssh2; rejects on any failure (refused, reset, auth). */
export function ssh2Connect(address: string, privateKey: string, username = "root"): Promise<Ssh2Connection> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKey = "";
    const timer = setTimeout(() => {
      client.end();
      reject(new Error(`ssh2 connect to ${address}: no answer within ${CLIENT_TIMEOUT_MS} ms`));
    }, CLIENT_TIMEOUT_MS);
    client.on("ready", () => {
      clearTimeout(timer);
      resolve({ client, hostKey });
    });
    client.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    client.connect({
      host: address,
      port: 22,
      username,
      privateKey,
      readyTimeout: CLIENT_TIMEOUT_MS,
      hostVerifier: (key: Buffer) => {
        const parsed = utils.parseKey(key);
        const type = parsed instanceof Error ? "?" : parsed.type;
        hostKey = `${type} ${key.toString("base64")}`;
        return true;
      },
    });
  });
}

/** Runs one command on an open ssh2 connection, feeding stdin (then EOF). */
export function ssh2Exec(connection: Ssh2Connection, command: string, stdin?: Buffer): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    connection.client.exec(command, (error, stream) => {
      if (error) return reject(error);
      collect(stream, resolve, reject, command);
      stream.end(stdin ?? Buffer.alloc(0));
    });
  });
}

/** Collects a channel's output until it closes. */
export function collect(stream: ssh2.ClientChannel, resolve: (result: CommandResult) => void, reject: (error: Error) => void, what: string): void {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let code: number | null = null;
  let signal: string | undefined;
  const timer = setTimeout(() => reject(new Error(`${what}: not finished within ${CLIENT_TIMEOUT_MS} ms`)), CLIENT_TIMEOUT_MS);
  stream.on("data", (chunk: Buffer) => stdout.push(chunk));
  stream.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  stream.on("exit", (exitCode: number | null, signalName?: string) => {
    code = exitCode;
    signal = signalName ?? undefined;
  });
  stream.on("close", () => {
    clearTimeout(timer);
    resolve({ code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
  });
}

/** Logs in with ssh2, runs one command, disconnects. */
export async function ssh2Run(address: string, privateKey: string, command: string, stdin?: Buffer): Promise<CommandResult & { hostKey: string }> {
  const connection = await ssh2Connect(address, privateKey);
  try {
    return { ...(await ssh2Exec(connection, command, stdin)), hostKey: connection.hostKey };
  } finally {
    connection.client.end();
  }
}

/** Resolves with the error code of a plain TCP connection attempt, or "connected". */
export function tcpProbe(address: string, port = 22): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy(new Error("timeout")));
    socket.on("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** True while pid is a live (non-zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The pids of live processes carrying the task's marker. */
export function markedPids(taskId: string): number[] {
  const entry = `FARGATE_EMULATOR_TASK=${taskId}`;
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(entry) && isAlive(pid);
      } catch {
        return false;
      }
    });
}

/** Polls until check() holds, failing after timeoutMs. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = CLIENT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: still not true after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Rejects if promise takes longer than ms. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
