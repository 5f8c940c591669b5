// What every stage module receives from the CLI. A stage is `src/stages/<name>.ts` exporting
// `export async function <name>Stage(ctx: StageContext): Promise<void>`; it throws a DriverError on
// failure and never calls process.exit: the CLI's one catch decides the exit code.
import type { DriverConfig } from "../config/types.js";
import type { JobIdentity } from "../job.js";
import type { Logger } from "../log.js";

/** Dependencies and inputs of one stage run (config, prepare, run or cleanup). */
export interface StageContext {
  /** Validated configuration, with --task-def / --platform-version / job variables already applied. */
  config: DriverConfig;
  /** Logs to stderr or the LogFile; never to stdout. */
  log: Logger;
  /** The process environment (runner variables and CUSTOM_ENV_* job variables). */
  env: NodeJS.ProcessEnv;
  /** Positional arguments after the stage name: for run, `[scriptPath, stageName]`. */
  args: string[];
  /** Aborted on SIGTERM/SIGINT; the CLI exits with the system-failure code 30 s later if the stage has not ended. */
  signal: AbortSignal;
  /** The job's stdout: only the job's output (and, in config, the one JSON object) belongs here. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Who this job is (from CUSTOM_ENV_*); `job.id` names the state file and the config hostname. */
  job: JobIdentity;
  /** The driver's version (package.json). */
  version: string;
}
