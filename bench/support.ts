// Shared by the benchmarks in bench/: statistics, child processes with bounded time, cleanup on
// exit or Ctrl-C, the driver's config file and the environment GitLab Runner gives a `custom`
// stage. Emulators are started with test/support/emulator.ts (re-exported here).
import { spawn, type SpawnOptions } from "node:child_process";
import { setMaxListeners } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ECSClient } from "@aws-sdk/client-ecs";
import type { EmulatorHandle } from "../test/support/emulator.js";

export { startEmulator, type EmulatorHandle, type EmulatorTask } from "../test/support/emulator.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The compiled driver and emulator CLIs (`npm run build`). */
export const driverCli = path.join(repoRoot, "dist/src/cli.js");
export const emulatorCli = path.join(repoRoot, "dist/emulator/cli.js");

/** Exits with a hint when dist/ is missing: the benchmarks time the compiled CLIs. */
export function requireBuild(): void {
  const missing = [driverCli, emulatorCli].filter((p) => !existsSync(p));
  if (missing.length === 0) return;
  console.error(`missing ${missing.map((p) => path.relative(repoRoot, p)).join(", ")}: run \`npm run build\` first`);
  process.exit(2);
}

// ---- statistics ----

/** The q-quantile (0..1) of values, nearest rank; NaN when empty. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Median (mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "median 123.4 ms  p90 150.2 ms  (n=20)" */
export function summary(values: number[]): string {
  return `median ${ms(median(values))}  p90 ${ms(quantile(values, 0.9))}  min ${ms(Math.min(...values))}  (n=${values.length})`;
}

export function ms(value: number): string {
  return `${value.toFixed(1).padStart(8)} ms`;
}

/** Milliseconds since an hrtime.bigint() reading. */
export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** "load average 1.23 1.10 0.98" */
export function loadLine(): string {
  return `load average ${loadavg().map((x) => x.toFixed(2)).join(" ")} (${new Date().toISOString()})`;
}

// ---- cleanup ----

const cleanups: (() => Promise<void> | void)[] = [];

/** Registers work to undo on exit, failure or SIGINT/SIGTERM (run last-registered first). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
  }
}

// The AWS SDK's NodeVersionSupportWarning (Node 20) is noise in a benchmark's output.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "NodeVersionSupportWarning" && !w.message.startsWith("NodeVersionSupportWarning")) console.error(`${w.name}: ${w.message}`);
});

/** Aborted on the first SIGINT/SIGTERM when a benchmark runs with `graceful: true`. */
export const interrupted = new AbortController();
// Every concurrent job of the soak listens on it: more than Node's default of 10 is expected.
setMaxListeners(0, interrupted.signal);

/**
 * Runs a benchmark's body, then every cleanup (also on failure). On SIGINT/SIGTERM the cleanups run
 * at once; with `graceful`, the first signal only aborts `interrupted` and the body gets 60 s to wind
 * down (a second signal cleans up at once). The exit code is 130 after a signal.
 */
export function runBenchmark(body: () => Promise<void>, opts: { graceful?: boolean } = {}): void {
  let forced = false;
  const force = () => {
    if (forced) return;
    forced = true;
    void runCleanups().finally(() => process.exit(130));
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (opts.graceful && !interrupted.signal.aborted) {
      console.error(`\n${sig}: stopping (again to clean up at once)`);
      interrupted.abort();
      setTimeout(force, 60_000).unref();
      return;
    }
    console.error(`\n${sig}: cleaning up`);
    force();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const code = () => (interrupted.signal.aborted ? 130 : 0);
  body().then(
    async () => {
      await runCleanups();
      process.exit(code());
    },
    async (err: Error) => {
      console.error(`benchmark failed: ${err.stack ?? err.message}`);
      await runCleanups();
      process.exit(1);
    },
  );
}

/** A temporary directory removed at cleanup. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---- child processes ----

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  ms: number;
}

/** Runs a command to completion (stdin from `input`, or empty), SIGKILLed after timeoutMs. */
export function run(command: string, args: string[], opts: SpawnOptions & { input?: Buffer | string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { ...opts, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: since(started) });
    });
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.input ?? "");
  });
}

// ---- the driver against an emulator ----

/** Environment for AWS clients: only the emulator (nothing from the host's AWS_* settings). */
export function awsEnv(emulator: EmulatorHandle): Record<string, string> {
  const host = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith("AWS_")));
  return { ...host, ...emulator.env };
}

/** An ECS client for the emulator (dummy credentials, explicit endpoint). */
export function ecsClient(emulator: EmulatorHandle): ECSClient {
  return new ECSClient({
    endpoint: emulator.endpoint,
    region: "us-east-2",
    credentials: { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" },
  });
}

export interface DriverConfigOptions {
  metadataDir: string;
  cluster?: string;
  taskDefinition?: string;
  logLevel?: string;
}

/** Writes a fargate.toml for the emulator's seeded world; returns its path. */
export function writeDriverConfig(file: string, opts: DriverConfigOptions): string {
  writeFileSync(
    file,
    [
      `LogLevel = "${opts.logLevel ?? "info"}"`,
      "[Fargate]",
      `  Cluster = "${opts.cluster ?? "test-cluster"}"`,
      `  Region = "us-east-2"`,
      `  Subnet = "subnet-xxxxxx"`,
      `  SecurityGroup = "sg-xxxxxxxxxxxxx"`,
      `  TaskDefinition = "${opts.taskDefinition ?? "test-task:1"}"`,
      "  EnablePublicIP = false",
      `  StartTimeout = "2m"`,
      "[TaskMetadata]",
      `  Directory = "${opts.metadataDir}"`,
      "[SSH]",
      `  Username = "root"`,
      "  Port = 22",
      "",
    ].join("\n"),
  );
  return file;
}

/** What GitLab Runner puts in a `custom` stage's environment (see custom-executor-protocol.md). */
export function runnerEnv(emulator: EmulatorHandle, jobDir: string, jobId: number): Record<string, string> {
  return {
    ...awsEnv(emulator),
    TMPDIR: jobDir,
    BUILD_FAILURE_EXIT_CODE: "1",
    SYSTEM_FAILURE_EXIT_CODE: "2",
    BUILD_EXIT_CODE_FILE: path.join(jobDir, "build_exit_code"),
    JOB_RESPONSE_FILE: path.join(jobDir, "response.json"),
    CUSTOM_ENV_CI_JOB_ID: String(jobId),
    CUSTOM_ENV_CI_PROJECT_ID: "42",
    CUSTOM_ENV_CI_PROJECT_URL: "http://localhost/bench/project",
    CUSTOM_ENV_CI_PIPELINE_ID: "777",
    CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: "benchtok1",
    CUSTOM_ENV_CI_RUNNER_ID: "1",
    CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID: "0",
    CUSTOM_ENV_CI_JOB_TIMEOUT: "3600",
    CUSTOM_ENV_CI_SERVER_URL: "http://localhost",
    CUSTOM_ENV_CI_JOB_STATUS: "running",
  };
}

/** `node dist/src/cli.js --config F custom <stage> [args]` with the given environment. */
export function customStage(config: string, stage: string, args: string[], env: Record<string, string>, cwd: string): Promise<RunResult> {
  return run(process.execPath, [driverCli, "--config", config, "custom", stage, ...args], { env, cwd, timeoutMs: 180_000 });
}

/** Throws with the stage's stderr unless it exited 0. */
export function expectOk(what: string, result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`${what}: exit ${result.code ?? result.signal}\n${result.stderr}`);
  return result;
}

// ---- /proc ----

/** VmHWM (peak resident set) of a process in KiB, or undefined if it is gone. */
export function peakRssKiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Command line (NUL-separated arguments joined by spaces) of a process, or "" if unreadable. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Pids of live processes whose command line includes `text` (this process excluded). */
export function pidsMatching(text: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  return entries.filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid).map(Number).filter((pid) => cmdline(pid).includes(text));
}
