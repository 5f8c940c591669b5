// `fargate exec [--file .gitlab-ci.yml] [--config fargate.toml] JOB`: runs one job of a pipeline
// file through the driver exactly as GitLab Runner's custom executor would, and prints its job log.
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ExecInputError, loadJob } from "./gitlab-ci.js";
import { JobLog, type LogSink } from "./job-log.js";
import { buildJobVariables, projectNameFrom, tooShortToMask, type LocalJob } from "./job-variables.js";
import { runJob } from "./run-job.js";

/** What cli.ts passes for `fargate exec`; the optional fields tune the local run (tests, demo). */
export interface ExecOptions {
  file: string;
  configPath: string;
  job: string;
  /** Flags before `custom`, e.g. ["--config", path] and log flags. */
  driverGlobalArgs: string[];
  /** argv prefix that starts the driver: [process.execPath, ...process.execArgv, process.argv[1]]. */
  driverCommand: string[];
  /** Variables that win over the file's, like "Run pipeline" form variables. */
  variables?: Record<string, string>;
  /** The host environment the driver inherits (default process.env). */
  env?: Record<string, string | undefined>;
  /** [[runners]] builds_dir when the config stage sets none (default "builds", relative: see src/exec/README.md). */
  buildsDir?: string;
  /** [[runners]] cache_dir when the config stage sets none (default "cache"). */
  cacheDir?: string;
  /** graceful_kill_timeout: SIGTERM to SIGKILL, in ms (default 10 000; the runner's is 600 s). */
  gracefulKillTimeoutMs?: number;
  /** force_kill_timeout: how long to wait after SIGKILL, in ms (default 10 000). */
  forceKillTimeoutMs?: number;
  /** Pause between preparation attempts, in ms (default 3000, as the runner). */
  prepareRetryDelayMs?: number;
  /** config/prepare/cleanup exec timeouts, in ms (default 3 600 000, as the runner). */
  execTimeoutMs?: number;
  /** CI_JOB_ID (default: a fresh random number). */
  jobId?: number;
  /** Where the job log goes (default process.stdout). */
  output?: LogSink;
  /** Where exec's own diagnostics and the debug output of cleanup go (default process.stderr). */
  errorOutput?: LogSink;
  /** Colour the job log (default: when the output is a terminal and NO_COLOR is unset). */
  color?: boolean;
  /** Show cleanup's output (default: when driverGlobalArgs ask for --debug or --log-level debug). */
  debug?: boolean;
  /** Aborting it cancels the job like Ctrl-C. */
  abortSignal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers for the run (default true). */
  handleSignals?: boolean;
  /** Parent of the per-job temp dirs (default os.tmpdir()). */
  tmpDir?: string;
}

/** Runs the job; 0 job succeeded, 1 job failed (script or timeout), 2 system failure or bad input, 130 cancelled. */
export async function runExec(opts: ExecOptions): Promise<number> {
  const errOut = opts.errorOutput ?? process.stderr;
  let def;
  try {
    def = loadJob(opts.file, opts.job);
  } catch (err) {
    if (!(err instanceof ExecInputError)) throw err;
    errOut.write(`fargate exec: ${err.message}\n`);
    return 2;
  }

  // Every stage would fail on it, three times over with retries: say so once, up front.
  if (!existsSync(opts.configPath)) {
    errOut.write(`fargate exec: reading driver config "${opts.configPath}": no such file (pass the driver's fargate.toml with --config)\n`);
    return 2;
  }

  const env = opts.env ?? process.env;
  const hostEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const out = opts.output ?? process.stdout;
  const color = opts.color ?? (Boolean((out as { isTTY?: boolean }).isTTY) && hostEnv.NO_COLOR === undefined);
  const debug = opts.debug ?? wantsDebug(opts.driverGlobalArgs);
  const job: LocalJob = {
    jobId: opts.jobId ?? randomInt(1_000_000_000, 2_000_000_000),
    pipelineId: randomInt(100_000_000, 1_000_000_000),
    jobToken: `glcbt-local-${randomBytes(12).toString("hex")}`,
    projectName: projectNameFrom(path.basename(path.dirname(path.resolve(opts.file)))),
    buildsDir: opts.buildsDir ?? "builds",
    cacheDir: opts.cacheDir ?? "cache",
    buildsDirIsShared: false,
    status: "running",
    startedAt: new Date(),
    overrides: opts.variables ?? {},
  };
  const secrets = buildJobVariables(def, job).filter((v) => v.masked).map((v) => v.value);
  const log = new JobLog(out, color, secrets);
  for (const name of tooShortToMask(def, job.overrides)) {
    log.warning(`variable ${name} looks secret but is shorter than 8 characters, so it is not masked (GitLab's rule)`);
  }

  const cancel = new AbortController();
  const force = new AbortController();
  let signals = 0;
  const progress = { finalCleanup: false };
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (progress.finalCleanup) {
      log.warning(`Received ${sig}: the job is over; waiting for the driver's cleanup, which is not interrupted`);
      cancel.abort();
    } else if (signals === 1) {
      log.warning(`Received ${sig}: stopping the job (SIGTERM to the driver, SIGKILL after the graceful timeout), then cleaning up`);
      cancel.abort();
    } else {
      log.warning(`Received ${sig} again: killing the running stage now; cleanup still runs`);
      force.abort();
    }
  };
  const onAbort = () => onSignal("SIGINT");
  if (opts.abortSignal?.aborted) cancel.abort();
  opts.abortSignal?.addEventListener("abort", onAbort);
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  try {
    return await runJob({
      def,
      job,
      driverArgv: [...absoluteLoaders(opts.driverCommand), ...opts.driverGlobalArgs],
      hostEnv,
      log,
      debug: debug ? (text) => errOut.write(text) : undefined,
      version: packageVersion(),
      tmpRoot: opts.tmpDir ?? tmpdir(),
      gracefulKillMs: opts.gracefulKillTimeoutMs ?? 10_000,
      forceKillMs: opts.forceKillTimeoutMs ?? 10_000,
      prepareRetryDelayMs: opts.prepareRetryDelayMs ?? 3000,
      execTimeoutMs: opts.execTimeoutMs ?? 3_600_000,
      cancel: cancel.signal,
      forceCancel: force.signal,
      progress,
    });
  } catch (err) {
    // Only local failures land here (temp dir, script file): the job never reached a verdict.
    log.error(`Job failed (system failure): running the job locally: ${(err as Error).message}`);
    return 2;
  } finally {
    opts.abortSignal?.removeEventListener("abort", onAbort);
    if (handleSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

// Node resolves `--import tsx` from the cwd, but the driver runs in the per-job temp dir (as the
// runner starts it): resolve such bare loader specifiers here, from this package, where they exist.
function absoluteLoaders(argv: readonly string[]): string[] {
  const flags = new Set(["--import", "--loader", "--experimental-loader"]);
  const resolveBare = (spec: string) => {
    if (/^(\.|\/|file:|data:|node:)/.test(spec)) return spec;
    try {
      return import.meta.resolve(spec);
    } catch {
      return spec;
    }
  };
  return argv.map((arg, i) => {
    const eq = /^(--[a-z-]+)=(.*)$/.exec(arg);
    if (eq && flags.has(eq[1]!)) return `${eq[1]}=${resolveBare(eq[2]!)}`;
    return i > 0 && flags.has(argv[i - 1]!) ? resolveBare(arg) : arg;
  });
}

function wantsDebug(args: readonly string[]): boolean {
  return args.some((a, i) => a === "--debug" || a === "--log-level=debug" || (a === "--log-level" && args[i + 1] === "debug"));
}

// The package's version, found by walking up from this file (works from src/ and from dist/src/).
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "gitlab-fargate-driver" && pkg.version) return pkg.version;
    } catch {
      // not here: keep walking up
    }
    dir = path.dirname(dir);
  }
  return "unknown";
}
