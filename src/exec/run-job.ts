// The runner's job flow for a custom executor, imitated for one local job: config+prepare (retried),
// the run stages in order, cleanup always once config succeeded, and the verdict with its exit code.
import { setTimeout as sleep } from "node:timers/promises";
import { runDriverCall, type DriverResult } from "./driver-process.js";
import type { JobDefinition } from "./gitlab-ci.js";
import { parseConfigOutput, type ConfigOutput } from "./config-output.js";
import { JobLog } from "./job-log.js";
import { jobPayload } from "./job-payload.js";
import { JobSession } from "./job-session.js";
import { buildJobVariables, localRunnerShortToken, projectDir, servicesJson, type JobStatus, type LocalJob } from "./job-variables.js";
import { skipReason, stageHeaders, stageNeeded, stageScript, type RunStage } from "./stages.js";
import { formatGoDuration } from "./timeout.js";

/** Everything the job flow needs; index.ts fills it from ExecOptions. */
export interface RunJobInput {
  def: JobDefinition;
  job: LocalJob;
  /** driverCommand + driverGlobalArgs; exec appends ["custom", stage, ...]. */
  driverArgv: string[];
  hostEnv: Record<string, string>;
  log: JobLog;
  /** Where cleanup's output goes when debugging (exec's stderr), else undefined. */
  debug: ((text: string) => void) | undefined;
  version: string;
  tmpRoot: string;
  gracefulKillMs: number;
  forceKillMs: number;
  prepareRetryDelayMs: number;
  /** config_exec_timeout / prepare_exec_timeout / cleanup_exec_timeout, in ms. */
  execTimeoutMs: number;
  /** Ctrl-C: stop the running stage the runner's way, then clean up. */
  cancel: AbortSignal;
  /** A second Ctrl-C: SIGKILL the running stage now. */
  forceCancel: AbortSignal;
  /** Set once the job's stages are over and only the final cleanup remains (a Ctrl-C changes nothing then). */
  progress: { finalCleanup: boolean };
}

/** How a stage or call failed, in the runner's two classes. */
type Failure = { kind: "build"; exitCode: number } | { kind: "system"; message: string };

/** Why the job stopped early, if it did. */
type Abort = "canceled" | "timedout";

const prepareAttempts = 3;

/** Runs the job; returns exec's exit code: 0 success, 1 job failed, 2 system failure, 130 canceled. */
export async function runJob(input: RunJobInput): Promise<number> {
  const { def, job, log } = input;
  log.line(`Running with gitlab-fargate-driver ${input.version} (fargate exec, the local job runner)`);
  log.line(`  on fargate-exec ${localRunnerShortToken}, job ${job.jobId} "${def.name}", pipeline ${job.pipelineId}`);

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), def.timeoutSeconds * 1000);
  const stop = AbortSignal.any([input.cancel, timeout.signal]);
  const aborted = (): Abort | undefined => (input.cancel.aborted ? "canceled" : timeout.signal.aborted ? "timedout" : undefined);
  try {
    log.header('Preparing the "custom" executor');
    let failure: Failure | undefined;
    for (let attempt = 1; attempt <= prepareAttempts; attempt++) {
      const session = await JobSession.create(input.tmpRoot);
      const prepared = await configAndPrepare(input, session, stop);
      if (prepared.ok) {
        const outcome = await runStages(input, session, prepared.config, aborted, stop);
        return verdict(input, outcome.failure, outcome.stoppedBy);
      }
      failure = prepared.failure;
      // No retry after the build-failure code or the last attempt; a Ctrl-C during that cleanup changes nothing.
      const last = !aborted() && (failure.kind === "build" || attempt === prepareAttempts);
      input.progress.finalCleanup = last;
      if (prepared.configOk) await cleanup(input, session, prepared.config);
      await session.remove();
      if (last) break;
      if (aborted()) return verdict(input, failure, aborted());
      log.error(`Preparation failed: ${describe(failure)}`);
      log.line(`Will be retried in ${formatGoDuration(Math.round(input.prepareRetryDelayMs / 1000))} ...`);
      await sleep(input.prepareRetryDelayMs, undefined, { signal: stop }).catch(() => undefined);
      if (aborted()) return verdict(input, failure, aborted());
    }
    return verdict(input, failure, undefined);
  } finally {
    clearTimeout(timer);
  }
}

type Prepared =
  | { ok: true; config: ConfigOutput }
  | { ok: false; configOk: false; failure: Failure }
  | { ok: false; configOk: true; config: ConfigOutput; failure: Failure };

async function configAndPrepare(input: RunJobInput, session: JobSession, jobStop: AbortSignal): Promise<Prepared> {
  const { log } = input;
  const initial: ConfigOutput = { buildsDir: input.job.buildsDir, cacheDir: input.job.cacheDir, buildsDirIsShared: input.job.buildsDirIsShared, jobEnv: {} };
  await session.writePayload(jobPayload(input.def, input.job, buildJobVariables(input.def, input.job)));
  let stdout = "";
  const configResult = await call(input, session, "config", [], initial, "running", {
    onStdout: (c) => (stdout += c),
    stop: AbortSignal.any([jobStop, AbortSignal.timeout(input.execTimeoutMs)]),
    forJobEnv: false,
  });
  const configFailure = timedOut(configResult, jobStop, "config", input.execTimeoutMs) ?? await failureOf(configResult, session);
  if (configFailure) return { ok: false, configOk: false, failure: configFailure };
  const parsed = parseConfigOutput(stdout, initial);
  if (typeof parsed === "string") return { ok: false, configOk: false, failure: { kind: "system", message: parsed } };
  const config = parsed;
  const driver = config.driver;
  log.line(`Using Custom executor${driver?.name ? ` with driver ${driver.name}${driver.version ? ` ${driver.version}` : ""}` : ""}...`);
  // CI_BUILDS_DIR and CI_PROJECT_DIR follow the config stage's builds_dir from here on.
  const job = withConfig(input.job, config);
  await session.writePayload(jobPayload(input.def, job, buildJobVariables(input.def, job)));

  const prepareResult = await call(input, session, "prepare", [], config, "running", {
    stop: AbortSignal.any([jobStop, AbortSignal.timeout(input.execTimeoutMs)]),
  });
  const prepareFailure = timedOut(prepareResult, jobStop, "prepare", input.execTimeoutMs) ?? await failureOf(prepareResult, session);
  if (prepareFailure) return { ok: false, configOk: true, config, failure: prepareFailure };
  return { ok: true, config };
}

/** How the run stages ended. */
interface Outcome {
  failure: Failure | undefined;
  stoppedBy: Abort | undefined;
}

// Runs the stages, then cleanup (always); the verdict is printed after cleanup, as the last line.
async function runStages(
  input: RunJobInput, session: JobSession, config: ConfigOutput, aborted: () => Abort | undefined, stop: AbortSignal,
): Promise<Outcome> {
  const { def, log } = input;
  let failure: Failure | undefined;
  let stoppedBy: Abort | undefined;
  const run = async (stage: RunStage, status: JobStatus): Promise<Failure | undefined> => {
    stoppedBy ??= aborted();
    if (stoppedBy || !stageNeeded(stage, def)) return undefined;
    const skip = skipReason(stage, def);
    if (skip) {
      log.line(`Skipping ${stage}: ${skip}`);
      return undefined;
    }
    log.header(stageHeaders[stage]);
    const job = withConfig({ ...input.job, status }, config);
    const vars = buildJobVariables(def, job);
    const script = stageScript(stage, { def, vars, projectDir: projectDir(job), cacheDir: config.cacheDir, hostname: config.hostname });
    const scriptFile = await session.writeScript(config.shell === "sh" ? script.replace("/usr/bin/env bash", "/usr/bin/env sh") : script);
    const result = await call(input, session, "run", [scriptFile, stage], config, status, { stop });
    if (result.stopped) stoppedBy ??= aborted();
    return failureOf(result, session);
  };

  try {
    failure = await run("prepare_script", "running");
    if (failure || stoppedBy) {
      if (failure && !stoppedBy) {
        failure = prefixed(failure, "prepare environment: ", ". Check https://docs.gitlab.com/runner/shells/#shell-profile-loading for more information");
      }
      return { failure, stoppedBy };
    }
    for (const stage of ["get_sources", "restore_cache", "download_artifacts"] as const) {
      failure ??= await run(stage, "running");
    }
    if (!failure && !stoppedBy) {
      failure = await run("build_script", "running");
      // after_script runs once the script was attempted, unless the job was aborted or timed out.
      if (!stoppedBy) {
        const afterFailure = await run("after_script", failure ? "failed" : "success");
        if (afterFailure && !stoppedBy) log.warning(`after_script failed, but job will continue unaffected: ${describe(afterFailure)}`);
      }
    }
    const status: JobStatus = failure ? "failed" : "success";
    await run(failure ? "archive_cache_on_failure" : "archive_cache", status);
    const uploadFailure = await run(failure ? "upload_artifacts_on_failure" : "upload_artifacts_on_success", status);
    failure ??= uploadFailure;
    await run("cleanup_file_variables", status);
    return { failure, stoppedBy };
  } finally {
    input.progress.finalCleanup = true;
    await cleanup(input, session, config);
    await session.remove();
  }
}

// cleanup: never part of the job log (stdout: debug, stderr: warning on failure), unaffected by Ctrl-C.
async function cleanup(input: RunJobInput, session: JobSession, config: ConfigOutput): Promise<void> {
  let stderr = "";
  const result = await call(input, session, "cleanup", [], config, "running", {
    onStdout: (c) => input.debug?.(c),
    onStderr: (c) => {
      stderr += c;
      input.debug?.(c);
    },
    stop: AbortSignal.timeout(input.execTimeoutMs),
    force: new AbortController().signal,
  });
  const failure = timedOut(result, undefined, "cleanup", input.execTimeoutMs) ?? await failureOf(result, session, false);
  if (failure) {
    input.log.warning(`Cleanup script failed: ${describe(failure)}`);
    for (const line of stderr.trimEnd().split("\n").filter((l) => l !== "")) input.log.warning(`cleanup: ${line}`);
  }
}

interface CallOptions {
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  stop: AbortSignal;
  /** Defaults to the job's second Ctrl-C; cleanup passes a signal that never fires. */
  force?: AbortSignal;
  /** false for config: job_env does not exist yet. */
  forJobEnv?: boolean;
}

async function call(
  input: RunJobInput, session: JobSession, stage: string, extra: string[], config: ConfigOutput, status: JobStatus, opts: CallOptions,
): Promise<DriverResult> {
  const job = withConfig({ ...input.job, status }, config);
  const vars = buildJobVariables(input.def, job);
  const out = input.log.stream();
  const err = input.log.stream();
  try {
    return await runDriverCall({
      argv: [...input.driverArgv, "custom", stage, ...extra],
      env: session.env(input.hostEnv, vars, servicesJson(input.def, vars), opts.forJobEnv === false ? undefined : config.jobEnv),
      cwd: session.dir,
      onStdout: opts.onStdout ?? out.write,
      onStderr: opts.onStderr ?? err.write,
      stop: opts.stop,
      forceStop: opts.force ?? input.forceCancel,
      gracefulKillMs: input.gracefulKillMs,
      forceKillMs: input.forceKillMs,
    });
  } finally {
    out.end();
    err.end();
  }
}

// The runner's exit-code rule, with BUILD_EXIT_CODE_FILE's first line as the reported exit code.
async function failureOf(result: DriverResult, session: JobSession, readExitCodeFile = true): Promise<Failure | undefined> {
  if (result.error) return { kind: "system", message: result.error };
  switch (result.exit) {
    case "success":
      return undefined;
    case "build_failure": {
      const fromFile = readExitCodeFile ? await session.buildExitCode() : undefined;
      return { kind: "build", exitCode: fromFile !== undefined && Number.isInteger(fromFile) ? fromFile : 1 };
    }
    case "system_failure":
      return { kind: "system", message: result.status };
    case "unknown_failure":
      return {
        kind: "system",
        message: `unknown Custom executor executable exit code ${result.code ?? -1}; executable execution terminated with: ${result.status}`,
      };
  }
}

// A call exec stopped for its own exec timeout (not for the job's cancel or timeout) is a system failure.
function timedOut(result: DriverResult, jobStop: AbortSignal | undefined, stage: string, timeoutMs: number): Failure | undefined {
  if (!result.stopped || jobStop?.aborted) return undefined;
  return { kind: "system", message: `${stage} did not finish within ${formatGoDuration(Math.round(timeoutMs / 1000))} (${stage}_exec_timeout) and was stopped` };
}

function withConfig(job: LocalJob, config: ConfigOutput): LocalJob {
  return { ...job, buildsDir: config.buildsDir, cacheDir: config.cacheDir, buildsDirIsShared: config.buildsDirIsShared };
}

function prefixed(f: Failure, prefix: string, suffix: string): Failure {
  return f.kind === "system" ? { kind: "system", message: prefix + f.message + suffix } : f;
}

function describe(f: Failure): string {
  return f.kind === "build" ? `exit code ${f.exitCode}` : f.message;
}

function verdict(input: RunJobInput, failure: Failure | undefined, stoppedBy: Abort | undefined): number {
  const { log } = input;
  if (stoppedBy === "timedout") {
    log.error(`Job failed: execution took longer than ${formatGoDuration(input.def.timeoutSeconds)} seconds`);
    return 1;
  }
  if (stoppedBy === "canceled") {
    log.error("Job failed: canceled");
    return 130;
  }
  if (!failure) {
    log.success("Job succeeded");
    return 0;
  }
  if (failure.kind === "build") {
    log.error(`Job failed: exit code ${failure.exitCode}`);
    return 1;
  }
  log.error(`Job failed (system failure): ${failure.message}`);
  return 2;
}
