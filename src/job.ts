// Who the current job is, read from the CUSTOM_ENV_* variables GitLab Runner passes to every stage.
// The id scheme is the Go driver's, so state files and hostnames stay recognisable:
// `<runner short token>-<sha256 hex of "<project url>-<pipeline id>-<job id>">`.
import { createHash } from "node:crypto";
import { DriverError } from "./errors.js";

/** The job's identity and the few job facts stages need. */
export interface JobIdentity {
  /** `<runner short token>-<sha256 hex>`: names the state file and is the config stage's hostname. */
  id: string;
  jobId: string;
  projectId: string | undefined;
  projectUrl: string;
  pipelineId: string;
  runnerShortToken: string;
  runnerId: string | undefined;
  concurrentProjectId: string | undefined;
  /** CI_JOB_TIMEOUT in seconds (the runner's default, 7200, when unset or unreadable). */
  jobTimeoutSeconds: number;
  serverUrl: string | undefined;
  /** Set only when the job names an `image:`; the driver cannot honour it (the task definition decides). */
  jobImage: string | undefined;
}

/** The runner's default job timeout, used when CI_JOB_TIMEOUT is missing. */
export const DEFAULT_JOB_TIMEOUT_SECONDS = 7200;

/** Computes the Go driver's job id from its parts (exported so tests and tools can reproduce it). */
export function computeJobId(runnerShortToken: string, projectUrl: string, pipelineId: string, jobId: string): string {
  const hash = createHash("sha256").update(`${projectUrl}-${pipelineId}-${jobId}`).digest("hex");
  return `${safeFileNamePart(runnerShortToken)}-${hash}`;
}

/** Reads the job identity from CUSTOM_ENV_*; throws a DriverError naming the variable when one is unusable. */
export function readJobIdentity(env: NodeJS.ProcessEnv): JobIdentity {
  const get = (name: string): string | undefined => {
    const value = env[`CUSTOM_ENV_${name}`];
    return value === undefined || value === "" ? undefined : value;
  };
  const jobId = get("CI_JOB_ID");
  if (jobId === undefined) {
    throw jobError("CUSTOM_ENV_CI_JOB_ID is not set");
  }
  if (!/^[0-9]+$/.test(jobId)) {
    throw jobError(`CUSTOM_ENV_CI_JOB_ID must be a number, found ${JSON.stringify(jobId)}`);
  }
  const runnerShortToken = get("CI_RUNNER_SHORT_TOKEN");
  if (runnerShortToken === undefined) {
    throw jobError("CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN is not set (GitLab Runner 12.x or later sets it)");
  }
  const projectUrl = get("CI_PROJECT_URL") ?? "";
  const pipelineId = get("CI_PIPELINE_ID") ?? "";
  const timeout = Number(get("CI_JOB_TIMEOUT"));
  return {
    id: computeJobId(runnerShortToken, projectUrl, pipelineId, jobId),
    jobId,
    projectId: get("CI_PROJECT_ID"),
    projectUrl,
    pipelineId,
    runnerShortToken,
    runnerId: get("CI_RUNNER_ID"),
    concurrentProjectId: get("CI_CONCURRENT_PROJECT_ID"),
    jobTimeoutSeconds: Number.isInteger(timeout) && timeout > 0 ? timeout : DEFAULT_JOB_TIMEOUT_SECONDS,
    serverUrl: get("CI_SERVER_URL"),
    jobImage: get("CI_JOB_IMAGE"),
  };
}

// The id becomes a file name under TaskMetadata.Directory: never let a variable smuggle in a path.
function safeFileNamePart(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+/, "_");
}

function jobError(why: string): DriverError {
  return new DriverError(
    "job_env_invalid",
    `reading the job's identity: ${why}; the driver must be started by GitLab Runner (custom executor) or \`fargate exec\``,
  );
}
