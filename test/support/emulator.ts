// Shared test helper: starts the real `fargate-emulator` CLI as a separate process on an
// ephemeral loopback port and talks to its /_emulator/ control API. Every test that starts an
// emulator must call stop(), which also checks that no process of any task outlived it.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const readyPrefix = "fargate-emulator listening on ";
const startTimeoutMs = 30_000;
const stopTimeoutMs = 30_000;

/** One task as the emulator's GET /_emulator/tasks reports it. */
export interface EmulatorTask {
  taskArn: string;
  taskId: string;
  region: string;
  clusterArn: string;
  taskDefinitionArn: string;
  family: string;
  lastStatus: string;
  desiredStatus: string;
  /** Loopback "private" IPv4 (ENI address). */
  privateIp: string;
  /** Loopback "public" IPv4 when assignPublicIp was ENABLED, else null. */
  publicIp: string | null;
  /** The ci-coordinator container port the SSH server listens on. */
  port: number;
  subnetId: string;
  networkInterfaceId: string;
  tags: Record<string, string>;
  startedBy: string | null;
  group: string;
  launchType: string;
  capacityProviderName: string | null;
  /** The SSH server's host public key once it started ("ssh-ed25519 AAAA..."), else null. */
  hostKey: string | null;
  /** The private sshd's pid (openssh runtime), else null. */
  sshPid: number | null;
  /** True once the container's SSH server accepts connections (and until it stops). */
  sshRunning: boolean;
  workDir: string;
  stopCode: string | null;
  stoppedReason: string | null;
  exitCode: number | null;
  /** Wall-clock epoch milliseconds of each lifecycle event reached so far. */
  timings: Record<string, number>;
}

/** A running emulator process and its control API. */
export interface EmulatorHandle {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Environment for AWS clients (SDK, awscli, the driver) pointed at this emulator. */
  env: Record<string, string>;
  /** GET /_emulator/tasks */
  tasks(): Promise<EmulatorTask[]>;
  /** GET /_emulator/requests: the API calls received, oldest first. */
  requests(): Promise<unknown[]>;
  /** POST /_emulator/faults */
  addFaults(rules: unknown[]): Promise<void>;
  /** POST /_emulator/reset: stops every task, restores the seeded world, faults and throttling. */
  reset(): Promise<void>;
  /** Any control call; throws with the response body on a non-2xx status. */
  control(method: string, path: string, body?: unknown): Promise<unknown>;
  /** SIGTERM, wait for exit (code 0); asserts no task process is left running. */
  stop(): Promise<void>;
  /** Everything the emulator wrote to stdout and stderr so far (for diagnostics). */
  output(): string;
}

/** Options for startEmulator. */
export interface StartEmulatorOptions {
  ssh?: "embedded" | "openssh";
  /** Default 0.02 (a task reaches RUNNING in well under a second). */
  timeScale?: number;
  /** Extra CLI flags, e.g. ["--no-throttle"]. */
  args?: string[];
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  // Last resort for a test that forgot stop(): never leave an emulator behind.
  for (const child of live) child.kill("SIGKILL");
});

/** Spawns `node --import tsx emulator/cli.ts --listen 127.0.0.1:0 ...` and waits until it is ready. */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<EmulatorHandle> {
  const args = ["--import", "tsx", path.join(repoRoot, "emulator/cli.ts"), "--listen", "127.0.0.1:0"];
  args.push("--time-scale", String(opts.timeScale ?? 0.02));
  if (opts.ssh) args.push("--ssh", opts.ssh);
  args.push(...(opts.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true" },
  });
  live.add(child);
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`starting fargate-emulator: ${why}\n--- stdout:\n${out}\n--- stderr:\n${err}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${startTimeoutMs} ms`), startTimeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const line = out.split("\n").slice(0, -1).find((l) => l.startsWith(readyPrefix));
      if (line) {
        clearTimeout(timer);
        resolve(line.slice(readyPrefix.length).trim());
      }
    });
    child.once("exit", (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once("error", (e) => fail(e.message));
  });
  child.removeAllListeners("exit");
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const control = async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(endpoint + p, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}: ${text}`);
    return text === "" ? undefined : JSON.parse(text);
  };

  let stopped = false;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-2",
      AWS_DEFAULT_REGION: "us-east-2",
      AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
      AWS_SECRET_ACCESS_KEY: "emulator-secret",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
    tasks: async () => (await control("GET", "/_emulator/tasks")) as EmulatorTask[],
    requests: async () => (await control("GET", "/_emulator/requests")) as unknown[],
    addFaults: async (rules) => void (await control("POST", "/_emulator/faults", rules)),
    reset: async () => void (await control("POST", "/_emulator/reset")),
    control,
    output: () => `--- stdout:\n${out}\n--- stderr:\n${err}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      let taskIds: string[] = [];
      let pids: number[] = [];
      try {
        const tasks = (await control("GET", "/_emulator/tasks")) as EmulatorTask[];
        taskIds = tasks.map((t) => t.taskId);
        pids = tasks.flatMap((t) => (t.sshPid ? [t.sshPid] : []));
      } catch {
        // The process may already be gone; the exit code check below reports it.
      }
      child.kill("SIGTERM");
      const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), stopTimeoutMs).unref());
      const code = await Promise.race([exited, timeout]);
      live.delete(child);
      if (code === "timeout") {
        child.kill("SIGKILL");
        throw new Error(`fargate-emulator did not exit within ${stopTimeoutMs} ms of SIGTERM\n${err}`);
      }
      if (code !== 0) throw new Error(`fargate-emulator exited with code ${code}\n--- stderr:\n${err}`);
      const leftovers = leftoverProcesses(taskIds, pids);
      if (leftovers.length > 0) throw new Error(`processes outlived the emulator: ${leftovers.join(", ")}`);
    },
  };
}

/** Pids of processes still alive that belong to one of the given tasks (by pid or by task id in argv/env). */
function leftoverProcesses(taskIds: string[], pids: number[]): number[] {
  const found = new Set<number>();
  for (const pid of pids) {
    try {
      process.kill(pid, 0);
      found.add(pid);
    } catch {
      // ESRCH: gone, as it should be.
    }
  }
  if (taskIds.length === 0) return [...found];
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [...found]; // no /proc (not Linux): the pid check above is all we can do
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let text = "";
    try {
      text = readFileSync(`/proc/${entry}/cmdline`, "latin1") + readFileSync(`/proc/${entry}/environ`, "latin1");
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (taskIds.some((id) => text.includes(id))) found.add(pid);
  }
  return [...found];
}
