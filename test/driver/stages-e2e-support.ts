// Shared by the driver's integration tests: a StageContext built by hand (as the CLI would), a
// capturing logger, the seeded world's config, and an assertion that no task is left RUNNING.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { DriverConfig } from "../../src/config/types.js";
import { computeJobId, type JobIdentity } from "../../src/job.js";
import type { LogFields, Logger } from "../../src/log.js";
import type { StageContext } from "../../src/stages/context.js";
import type { EmulatorHandle } from "../support/emulator.js";

/** A logger that keeps every line, for assertions on the job log. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  debug(msg: string, _fields?: LogFields): void {
    this.lines.push(`DEBUG ${msg}`);
  }
  info(msg: string, _fields?: LogFields): void {
    this.lines.push(`INFO ${msg}`);
  }
  warn(msg: string, _fields?: LogFields): void {
    this.lines.push(`WARN ${msg}`);
  }
  error(msg: string, _fields?: LogFields): void {
    this.lines.push(`ERROR ${msg}`);
  }
  text(): string {
    return this.lines.join("\n");
  }
}

/** The config fargate.toml would give for the emulator's seeded world. */
export function seededConfig(directory: string, overrides: Partial<DriverConfig["fargate"]> = {}): DriverConfig {
  return {
    logLevel: "debug",
    logFormat: "text",
    logFile: undefined,
    fargate: {
      cluster: "test-cluster",
      region: "us-east-2",
      subnets: ["subnet-xxxxxx"],
      securityGroups: ["sg-xxxxxxxxxxxxx"],
      taskDefinition: "test-task:1",
      enablePublicIp: false,
      usePublicIp: false,
      platformVersion: undefined,
      startTimeoutMs: 60_000,
      ...overrides,
    },
    taskMetadata: { directory },
    ssh: { username: userInfo().username, port: 22, readyTimeoutMs: 30_000, connectTimeoutMs: 5000 },
  };
}

let jobCounter = 1000 + Math.floor(Math.random() * 1000);

/** A fresh job identity, as readJobIdentity would build it from CUSTOM_ENV_*. */
export function newJob(): JobIdentity {
  const jobId = String(jobCounter++);
  const projectUrl = "https://gitlab.example.com/group/project";
  return {
    id: computeJobId("tok123abc", projectUrl, "77", jobId),
    jobId,
    projectId: "42",
    projectUrl,
    pipelineId: "77",
    runnerShortToken: "tok123abc",
    runnerId: "9",
    concurrentProjectId: "0",
    jobTimeoutSeconds: 3600,
    serverUrl: "https://gitlab.example.com",
    jobImage: undefined,
  };
}

/** One stage invocation's context plus what it wrote. */
export interface TestStage {
  ctx: StageContext;
  log: MemoryLogger;
  stdout: () => Buffer;
  stderr: () => Buffer;
  abort: AbortController;
}

/** Builds a StageContext the way the CLI does, with captured output. */
export function stageContext(config: DriverConfig, job: JobIdentity, args: string[] = [], env: NodeJS.ProcessEnv = {}): TestStage {
  const log = new MemoryLogger();
  const out = new PassThrough();
  const err = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on("data", (c: Buffer) => outChunks.push(c));
  err.on("data", (c: Buffer) => errChunks.push(c));
  const abort = new AbortController();
  return {
    ctx: { config, log, env: { ...process.env, ...env }, args, signal: abort.signal, stdout: out, stderr: err, job, version: "test" },
    log,
    stdout: () => Buffer.concat(outChunks),
    stderr: () => Buffer.concat(errChunks),
    abort,
  };
}

/** A private temporary directory (for state files, scripts, exit-code files). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Points the in-process AWS SDK at the emulator (the SDK reads these itself). */
export function useEmulatorEnv(emulator: EmulatorHandle): void {
  Object.assign(process.env, emulator.env);
}

/** Fails if any emulated task is still RUNNING (or on its way to it). */
export async function assertNoTaskRunning(emulator: EmulatorHandle): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (true) {
    const live = (await emulator.tasks()).filter((t) => t.desiredStatus !== "STOPPED");
    if (live.length === 0) return;
    if (Date.now() > deadline) {
      assert.fail(`tasks left running: ${live.map((t) => `${t.taskId} ${t.lastStatus}`).join(", ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Skip reason for an SSH runtime the emulator cannot provide in this tree (false when available). */
export async function sshKindSkip(kind: "embedded" | "openssh"): Promise<string | false> {
  const { createRuntime } = await import("../../emulator/containers/index.js");
  try {
    createRuntime(kind);
    return false;
  } catch (err) {
    // CI installs openssh-server (.ci/run): a missing runtime there is a failure, not a skip.
    if (process.env.CI === "true") throw err;
    return `${kind} runtime not available: ${(err as Error).message}`;
  }
}
