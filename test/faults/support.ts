// Shared by the fault-matrix suites: the real CLI as a separate process with the runner's
// environment, one config and state directory per case (so cases can run concurrently against one
// emulator), and the checks every case ends with: exit-code class, a one-line message without a
// stack trace, no task left RUNNING after cleanup, an empty state directory and no leaked secret.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { computeJobId } from "../../src/job.js";
import type { EmulatorHandle } from "../support/emulator.js";
import { tempDir } from "../driver/stages-e2e-support.js";
import { writeSeededFargateToml } from "../support/fargate-toml.js";
export { processRunning } from "../support/processes.js";

export { sshKindSkip } from "../driver/stages-e2e-support.js";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
/** Unusual exit codes, to prove the driver reads them from the environment. */
export const BUILD = 41;
export const SYSTEM = 42;
const PROJECT_URL = "https://gitlab.example.com/group/faults";
const PIPELINE = "77";

/** What one CLI process did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for one CLI invocation. */
export interface CliOptions {
  onStart?: (pid: number) => void;
  /** Called with all stderr so far after every chunk. */
  onStderr?: (text: string, pid: number) => void;
  /** Overrides the whole argv after the tsx import (for bad-input cases). */
  argv?: string[];
}

let counter = 6000 + Math.floor(Math.random() * 3000);

/** One case: its own job id, runner token (the emulator's `startedBy` match), config and state directory. */
export class FaultCase {
  readonly jobId = String(counter++);
  /** Distinct per case so fault rules can match this case's task by `startedBy`. */
  readonly token = `flt${this.jobId}`;
  readonly startedBy = `gitlab-fargate-${this.token}`;
  readonly dir: string;
  readonly stateDir: string;
  /** Every stderr and stdout the case's processes wrote, for the secrets check. */
  readonly outputs: string[] = [];

  constructor(
    readonly emulator: EmulatorHandle,
    readonly name: string,
  ) {
    this.dir = tempDir(`fargate-fault-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 30)}-`);
    this.stateDir = join(this.dir, "metadata");
  }

  /** The job's state file name (the Go driver's job id). */
  get statePath(): string {
    return join(this.stateDir, `${computeJobId(this.token, PROJECT_URL, PIPELINE, this.jobId)}.json`);
  }

  /** Writes a fargate.toml for the seeded world; `fargate` lines go in [Fargate], `ssh` lines in [SSH]. */
  config(options: { fargate?: string; ssh?: string; top?: string; directory?: string } = {}): string {
    return writeSeededFargateToml(join(this.dir, "fargate.toml"), { ...options, directory: options.directory ?? this.stateDir });
  }

  /** The environment GitLab Runner gives every stage, pointed at the emulator. */
  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      TMPDIR: this.dir,
      ...this.emulator.env,
      BUILD_FAILURE_EXIT_CODE: String(BUILD),
      SYSTEM_FAILURE_EXIT_CODE: String(SYSTEM),
      BUILD_EXIT_CODE_FILE: join(this.dir, "build_exit_code"),
      CUSTOM_ENV_CI_JOB_ID: this.jobId,
      CUSTOM_ENV_CI_PROJECT_ID: "42",
      CUSTOM_ENV_CI_PROJECT_URL: PROJECT_URL,
      CUSTOM_ENV_CI_PIPELINE_ID: PIPELINE,
      CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: this.token,
      CUSTOM_ENV_CI_RUNNER_ID: "3",
      ...extra,
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** Runs `fargate --config F custom <stage...>` as a separate process. */
  cli(stage: string[], options: CliOptions & { config?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
    const config = options.config ?? join(this.dir, "fargate.toml");
    if (!options.config && !existsSync(config)) this.config();
    const argv = options.argv ?? ["--config", config, "custom", ...stage];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", TSX, CLI, ...argv], {
        cwd: this.dir,
        env: options.env ?? this.env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => {
        stderr += c;
        options.onStderr?.(stderr, child.pid ?? 0);
      });
      child.on("error", reject);
      child.on("spawn", () => options.onStart?.(child.pid ?? 0));
      child.on("close", (code) => {
        this.outputs.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Writes a job script into the case directory. */
  script(name: string, body: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, body, { mode: 0o700 });
    return path;
  }

  /** The task ARN recorded in the state file, if any. */
  recordedTask(): string | undefined {
    try {
      return (JSON.parse(readFileSync(this.statePath, "utf8")) as { taskArn: string }).taskArn;
    } catch {
      return undefined;
    }
  }

  /** The private key recorded in the state file, if any (for the secrets check). */
  recordedKey(): string | undefined {
    try {
      return (JSON.parse(readFileSync(this.statePath, "utf8")) as { privateKey: string }).privateKey;
    } catch {
      return undefined;
    }
  }

  /** This case's tasks, as the emulator sees them. */
  async tasks() {
    return (await this.emulator.tasks()).filter((t) => t.startedBy === this.startedBy);
  }

  /** Runs cleanup (it must succeed) and checks nothing of this case is left: no live task, no state file. */
  async cleanupAndCheck(): Promise<void> {
    const cleanup = await this.cli(["cleanup"]);
    assert.equal(cleanup.code, 0, `cleanup failed: ${cleanup.stderr}`);
    await this.assertNoLiveTask();
    assertStateDirEmpty(this.stateDir);
  }

  /** Fails if any task of this case is not stopped (bounded wait for a stop in flight). */
  async assertNoLiveTask(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (true) {
      const live = (await this.tasks()).filter((t) => t.desiredStatus !== "STOPPED");
      if (live.length === 0) return;
      if (Date.now() > deadline) assert.fail(`tasks left running: ${live.map((t) => `${t.taskId} ${t.lastStatus}`).join(", ")}`);
      await sleep(100);
    }
  }
}

/** The state directory holds no file (a missing directory counts as empty). */
export function assertStateDirEmpty(directory: string): void {
  if (!existsSync(directory)) return;
  assert.deepEqual(readdirSync(directory), [], `state directory ${directory} is not empty`);
}

/** Asserts a system failure (exit SYSTEM) with exactly one `ERROR:` line matching `message`, and no stack trace. */
export function assertSystemFailure(result: CliResult, message: RegExp): string {
  return assertFailure(result, SYSTEM, message);
}

/** Asserts the exit code and one readable `ERROR:` line matching `message`; returns that line. */
export function assertFailure(result: CliResult, code: number, message: RegExp): string {
  assert.equal(result.code, code, `exit code ${result.code}, expected ${code}\n${result.stderr}`);
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("ERROR: "));
  assert.equal(errors.length, 1, `expected one ERROR line:\n${result.stderr}`);
  const line = errors[0]!;
  assert.match(line, message);
  assert.doesNotMatch(result.stderr, /\n\s+at .+[:(].+\d+:\d+\)?$/m, `stack trace in stderr:\n${result.stderr}`);
  assert.ok(line.length < 1200, `message too long to read: ${line}`);
  return line;
}

/** Fails if any of the texts contains the private key (its PEM body or any 40-character piece of it); fails without a key. */
export function assertNoSecret(texts: string[], secret: string | undefined, label: string): void {
  // Without one the check would pass vacuously: capture it while the state file still exists (before cleanup).
  assert.ok(secret, `${label}: no secret to look for (read it right after prepare, before cleanup deletes the state file)`);
  const needles = [secret];
  const body = secret.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  for (let i = 0; i + 40 <= body.length; i += 40) needles.push(body.slice(i, i + 40));
  for (const text of texts) {
    const flat = text.replace(/\s+/g, "");
    for (const needle of needles) assert.ok(!flat.includes(needle.replace(/\s+/g, "")), `${label} leaked into output:\n${text}`);
  }
}

/** Waits until `check` holds (polling), failing after `ms`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}


/** Creates a directory (for state-directory cases). */
export function makeDir(path: string, mode: number): string {
  mkdirSync(path, { recursive: true, mode });
  return path;
}
