// Runs one call of the driver the way GitLab Runner's custom executor does: started directly, in
// its own process group, stdin /dev/null; its exit classified by the protocol's exit-code rule;
// stopped by SIGTERM to the whole group, then SIGKILL after a graceful timeout.
import { spawn } from "node:child_process";

/** How a driver call ended, in the protocol's terms. */
export type ExitClass = "success" | "build_failure" | "system_failure" | "unknown_failure";

/** The exit codes exec passes as BUILD_FAILURE_EXIT_CODE and SYSTEM_FAILURE_EXIT_CODE. */
export const buildFailureExitCode = 1;
/** See buildFailureExitCode. */
export const systemFailureExitCode = 2;

/** One driver call. */
export interface DriverCall {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  onStdout(chunk: string): void;
  onStderr(chunk: string): void;
  /** Aborting it stops the call: SIGTERM to the group, SIGKILL after gracefulKillMs. */
  stop?: AbortSignal;
  /** Aborting it skips the rest of the graceful wait: SIGKILL to the group now. */
  forceStop?: AbortSignal;
  gracefulKillMs: number;
  /** How long to wait for the process to go after SIGKILL before giving up on it. */
  forceKillMs: number;
  /** How long to let output drain after the process exited, if something else still holds the pipes. */
  drainMs?: number;
}

/** The outcome of one driver call. */
export interface DriverResult {
  exit: ExitClass;
  /** The exit code, or null when the process died by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Go's wording, as the runner reports it: "exit status 2", "signal: killed". */
  status: string;
  /** True when exec stopped the call (stop or forceStop fired). */
  stopped: boolean;
  /** Set when the process could not be started or could not be killed. */
  error?: string;
  pid: number | undefined;
}

const goSignalNames: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: "killed", SIGTERM: "terminated", SIGINT: "interrupt", SIGHUP: "hangup", SIGSEGV: "segmentation fault",
  SIGABRT: "aborted", SIGPIPE: "broken pipe", SIGQUIT: "quit", SIGUSR1: "user defined signal 1",
};

/** The protocol's exit-code rule: 0, the build-failure code, the system-failure code, anything else. */
export function classifyExit(code: number | null): ExitClass {
  if (code === 0) return "success";
  if (code === buildFailureExitCode) return "build_failure";
  if (code === systemFailureExitCode) return "system_failure";
  return "unknown_failure";
}

/** Starts the call, waits for it to end (or stops it), and classifies how it ended. */
export function runDriverCall(call: DriverCall): Promise<DriverResult> {
  return new Promise((resolve) => {
    const child = spawn(call.argv[0]!, call.argv.slice(1), {
      cwd: call.cwd,
      env: call.env,
      // detached: setsid(), so the driver leads its own process group and the terminal's Ctrl-C
      // reaches only exec, which then stops the driver the runner's way.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stopped = false;
    let settled = false;
    let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const timers: NodeJS.Timeout[] = [];
    const timer = (ms: number, fn: () => void) => timers.push(setTimeout(fn, ms));

    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined || exitInfo) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const finish = (result: Omit<DriverResult, "stopped" | "pid">) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      call.stop?.removeEventListener("abort", onStop);
      call.forceStop?.removeEventListener("abort", onForce);
      resolve({ ...result, stopped, pid: child.pid });
    };
    const forceKill = () => {
      killGroup("SIGKILL");
      timer(call.forceKillMs, () => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish({ exit: "system_failure", code: null, signal: null, status: "not stopped", error: "failed to kill process, likely process is dormant" });
      });
    };
    const onStop = () => {
      if (stopped || exitInfo) return;
      stopped = true;
      killGroup("SIGTERM");
      timer(call.gracefulKillMs, forceKill);
    };
    const onForce = () => {
      if (exitInfo) return;
      stopped = true;
      forceKill();
    };

    child.stdout.setEncoding("utf8").on("data", call.onStdout);
    child.stderr.setEncoding("utf8").on("data", call.onStderr);
    child.once("error", (err) => {
      // Spawn failures (ENOENT, EACCES): the runner's "failed to start command".
      if (!exitInfo) finish({ exit: "system_failure", code: null, signal: null, status: "not started", error: `failed to start command: ${err.message}` });
    });
    const report = () => {
      const { code, signal } = exitInfo!;
      const status = signal ? `signal: ${goSignalNames[signal] ?? signal}` : `exit status ${code}`;
      finish({ exit: signal ? "unknown_failure" : classifyExit(code), code, signal, status });
    };
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      // A background process of the driver may keep the pipes open: let output drain, then stop reading.
      timer(call.drainMs ?? 2000, () => {
        child.stdout.destroy();
        child.stderr.destroy();
        report();
      });
    });
    child.once("close", () => {
      if (exitInfo) report();
    });

    if (call.stop?.aborted) onStop();
    else call.stop?.addEventListener("abort", onStop);
    if (call.forceStop?.aborted) onForce();
    else call.forceStop?.addEventListener("abort", onForce);
  });
}
