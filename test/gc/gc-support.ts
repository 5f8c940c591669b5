// Shared by the crash-recovery and gc tests: the real CLI as a separate process (as GitLab Runner,
// cron or systemd start it), a fargate.toml for the emulator's seeded world, the runner's
// environment, and starting a task through the SDK exactly as prepare would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ECSClient, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { buildRunTaskInput } from "../../src/aws/run-task-input.js";
import { computeJobId } from "../../src/job.js";
import { generateJobKeyPair } from "../../src/ssh/keys.js";
import type { EmulatorHandle } from "../support/emulator.js";
import { writeSeededFargateToml } from "../support/fargate-toml.js";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
export const BUILD = 41;
export const SYSTEM = 42;
export const PROJECT_URL = "https://gitlab.example.com/group/app";
export const PIPELINE = "77";

/** What a CLI process did. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Hooks into a running CLI process (to kill it at the right moment). */
export interface CliHooks {
  onStdout?: (text: string, pid: number) => void;
  onStderr?: (text: string, pid: number) => void;
  onStart?: (pid: number) => void;
}

/** Runs `node --import tsx src/cli.ts <args>` in `cwd` with exactly `env`. */
export function runCli(args: string[], env: Record<string, string>, cwd: string, hooks: CliHooks = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, CLI, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      hooks.onStdout?.(stdout, child.pid ?? 0);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      hooks.onStderr?.(stderr, child.pid ?? 0);
    });
    child.on("error", reject);
    child.on("spawn", () => hooks.onStart?.(child.pid ?? 0));
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Writes a fargate.toml for the seeded world with its metadata directory under `dir`. */
export function writeConfig(dir: string, name = "fargate.toml"): string {
  return writeSeededFargateToml(join(dir, name), { directory: join(dir, "metadata"), fargate: "  EnablePublicIP = false" });
}

/** The environment GitLab Runner gives a stage of job `jobId` run by runner `token`. */
export function runnerEnv(emulator: EmulatorHandle, dir: string, token: string, jobId: string): Record<string, string> {
  return {
    ...baseEnv(emulator, dir),
    BUILD_FAILURE_EXIT_CODE: String(BUILD),
    SYSTEM_FAILURE_EXIT_CODE: String(SYSTEM),
    BUILD_EXIT_CODE_FILE: join(dir, `job-${jobId}-build_exit_code`),
    CUSTOM_ENV_CI_JOB_ID: jobId,
    CUSTOM_ENV_CI_PROJECT_ID: "42",
    CUSTOM_ENV_CI_PROJECT_URL: PROJECT_URL,
    CUSTOM_ENV_CI_PIPELINE_ID: PIPELINE,
    CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: token,
    CUSTOM_ENV_CI_RUNNER_ID: "3",
  };
}

/** The environment of cron or a systemd unit: no runner variables, no job variables. */
export function baseEnv(emulator: EmulatorHandle, dir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TMPDIR: dir, ...emulator.env };
}

/** The metadata directory of writeConfig(dir). */
export function metadataDir(dir: string): string {
  return join(dir, "metadata");
}

/** The state file prepare writes for this runner and job. */
export function stateFile(dir: string, token: string, jobId: string): string {
  return join(metadataDir(dir), `${computeJobId(token, PROJECT_URL, PIPELINE, jobId)}.json`);
}

/** The metadata directory's entries (none when it does not exist). */
export function stateDirEntries(dir: string): string[] {
  return existsSync(metadataDir(dir)) ? readdirSync(metadataDir(dir)).sort() : [];
}

/** The state file's content. */
export function readStateJson(path: string): { taskArn: string; address?: string; createdAt: string; [key: string]: unknown } {
  return JSON.parse(readFileSync(path, "utf8")) as { taskArn: string; address?: string; createdAt: string };
}

/** An ECS client on the emulator (dummy credentials, loopback endpoint). */
export function ecsClient(emulator: EmulatorHandle): ECSClient {
  // The SDK's Node 20 notice is noise in test output (the driver silences it the same way).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new ECSClient({ region: "us-east-2", endpoint: emulator.endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" } });
}

/** RunTask with exactly the input prepare builds for this runner and job (tags and startedBy included); returns the ARN. */
export async function startTaskAsPrepare(emulator: EmulatorHandle, token: string, jobId: string): Promise<string> {
  const ecs = ecsClient(emulator);
  try {
    const input = buildRunTaskInput({
      cluster: "test-cluster",
      taskDefinition: "test-task:1",
      subnet: "subnet-xxxxxx",
      securityGroups: ["sg-xxxxxxxxxxxxx"],
      enablePublicIp: false,
      platformVersion: undefined,
      publicKey: generateJobKeyPair(`gitlab-job-${jobId}`).publicKey,
      labels: { jobId, projectId: "42", pipelineId: PIPELINE, runnerShortToken: token, runnerId: "3" },
    });
    const output = await ecs.send(new RunTaskCommand(input));
    const arn = output.tasks?.[0]?.taskArn;
    assert.ok(arn, `RunTask returned no task: ${JSON.stringify(output.failures)}`);
    return arn;
  } finally {
    ecs.destroy();
  }
}

/** StopTask through the SDK (a task someone already stopped). */
export async function stopTaskDirectly(emulator: EmulatorHandle, arn: string): Promise<void> {
  const ecs = ecsClient(emulator);
  try {
    await ecs.send(new StopTaskCommand({ cluster: "test-cluster", task: arn, reason: "stopped by the test" }));
  } finally {
    ecs.destroy();
  }
}

/** Waits (bounded) until the predicate holds. */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** The emulator's view of one task. */
export async function taskState(emulator: EmulatorHandle, arn: string): Promise<{ desiredStatus: string; lastStatus: string; stoppedReason: string | null }> {
  const task = (await emulator.tasks()).find((t) => t.taskArn === arn);
  assert.ok(task, `the emulator does not know task ${arn}`);
  return task;
}
