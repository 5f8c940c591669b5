// One private OpenSSH server: its own config, host key and port, never the system's sshd or its
// /etc/ssh config. The openssh runtime runs one per task (and one more for changeHostKey faults).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { HostKeyPair } from "./host-keys.js";
import { EXTRA_SESSION_ENV, SESSION_PATH } from "./session-env.js";

const SSHD = "/usr/sbin/sshd";
const READY_TIMEOUT_MS = 15_000;
const STDERR_LINES_KEPT = 20;

/** How to run one private sshd. */
export interface SshdOptions {
  /** Names its files in configDir: "main" or "alternate". */
  name: string;
  /** Where its config, host key and session rc are written (the task's private .sshd dir). */
  configDir: string;
  /** The task's private address; sshd listens there on a free port of its own. */
  listenAddress: string;
  workDir: string;
  authorizedKeysFile: string;
  hostKey: HostKeyPair;
  /** FARGATE_EMULATOR_TASK=<taskId>: set for sshd itself and for every session. */
  markerEntry: string;
}

/** A private sshd that is up and listening. */
export interface PrivateSshd {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly address: string;
  readonly port: number;
  /** sshd's last stderr line (it logs there with -e), for error messages. */
  lastStderrLine(): string;
}

/** Starts a private sshd and resolves once it listens; rejects with sshd's own complaint if not. */
export async function startPrivateSshd(options: SshdOptions): Promise<PrivateSshd> {
  prepareFiles(options);
  // The free port is found by binding port 0 and letting go, so another process may grab it
  // first; sshd then fails with "Address already in use" and a new port is tried.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(options.listenAddress);
    try {
      return await runSshd(options, port);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/i.test((error as Error).message)) throw error;
    }
  }
}

function prepareFiles(options: SshdOptions): void {
  // Privilege separation needs this empty directory; Debian creates it only when the system
  // sshd service starts, which may never have happened here.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  // sshd refuses a host key file that others can read.
  writeFileSync(hostKeyPath(options), options.hostKey.privateKey, { mode: 0o600 });
  // sshd starts sessions in the user's home; the task image's WORKDIR is the work dir. bash reads
  // $BASH_ENV before running `bash -c <command>`: it moves there and unsets itself so that no
  // script started later is moved. (ForceCommand could cd too, but sshd then refuses to forward
  // signal requests, and exports SSH_ORIGINAL_COMMAND, which the real image does not.) bash skips
  // BASH_ENV when it thinks sshd started it directly, hence SHLVL in the session env.
  writeFileSync(sessionRcPath(options), `unset BASH_ENV\ncd '${options.workDir}' || exit 1\n`, { mode: 0o644 });
}

function sessionRcPath(options: SshdOptions): string {
  return join(options.configDir, "session-rc.sh");
}

function hostKeyPath(options: SshdOptions): string {
  return join(options.configDir, `${options.name}_host_ed25519_key`);
}

function configText(options: SshdOptions, port: number): string {
  const quote = (path: string): string => `"${path}"`;
  const env = { ...EXTRA_SESSION_ENV, ...splitEntry(options.markerEntry), BASH_ENV: sessionRcPath(options) };
  return [
    `ListenAddress ${options.listenAddress}:${port}`,
    `HostKey ${quote(hostKeyPath(options))}`,
    `AuthorizedKeysFile ${quote(options.authorizedKeysFile.replaceAll("%", "%%"))}`,
    "PidFile none",
    "StrictModes no",
    "UsePAM no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "UseDNS no",
    "PrintMotd no",
    "PrintLastLog no",
    "AllowAgentForwarding no",
    "AllowTcpForwarding no",
    "X11Forwarding no",
    "PermitTunnel no",
    // Everything arrives through the front door from one address; don't throttle it like a scan.
    "MaxStartups 100:30:200",
    `SetEnv ${Object.entries(env).map(([name, value]) => quote(`${name}=${value}`)).join(" ")}`,
    "",
  ].join("\n");
}

function splitEntry(entry: string): Record<string, string> {
  const eq = entry.indexOf("=");
  return { [entry.slice(0, eq)]: entry.slice(eq + 1) };
}

function runSshd(options: SshdOptions, port: number): Promise<PrivateSshd> {
  const configPath = join(options.configDir, `${options.name}_sshd_config`);
  writeFileSync(configPath, configText(options, port), { mode: 0o600 });
  const child = spawn(SSHD, ["-D", "-e", "-f", configPath], {
    env: { PATH: SESSION_PATH, ...splitEntry(options.markerEntry) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines: string[] = [];
  const lastStderrLine = (): string => lines.at(-1) ?? "(nothing on stderr)";
  let partial = "";
  // Always drained: a full pipe would block sshd.
  const echo = process.env.FARGATE_EMULATOR_SSHD_LOG === "1"; // debugging aid: sshd's log on our stderr
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    if (echo) process.stderr.write(chunk);
    const parts = (partial + chunk).split(/\r?\n/);
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((line) => line.trim() !== ""));
    lines.splice(0, Math.max(0, lines.length - STDERR_LINES_KEPT));
  });
  child.stderr.on("end", () => {
    if (partial.trim() !== "") lines.push(partial);
  });
  const what = `running ${SSHD} -f ${configPath}`;
  return new Promise((resolve, reject) => {
    const fail = (message: string): void => {
      cleanup();
      child.kill("SIGKILL");
      reject(new Error(`${what}: ${message}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${READY_TIMEOUT_MS} ms; last stderr: ${lastStderrLine()}`), READY_TIMEOUT_MS);
    const onData = (): void => {
      if (!lines.some((line) => line.includes("Server listening on"))) return;
      cleanup();
      resolve({ child, pid: child.pid ?? 0, address: options.listenAddress, port, lastStderrLine });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`sshd exited ${signal ? `on ${signal}` : `with code ${code}`} before listening: ${lastStderrLine()}`);
    const onError = (error: Error): void => fail(error.message);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stderr.off("data", onData);
      child.off("close", onExit);
      child.off("error", onError);
    };
    child.stderr.on("data", onData);
    // "close" rather than "exit": by then sshd's last words on stderr have been read.
    child.on("close", onExit);
    child.on("error", onError);
  });
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error) => reject(new Error(`finding a free port on ${address}: ${error.message}`, { cause: error })));
    probe.listen({ host: address, port: 0, exclusive: true }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
