// One attempt's per-job temp dir, as the runner keeps it: the driver's cwd and TMPDIR, holding the
// job payload (JOB_RESPONSE_FILE), the build exit code file and the stage scripts; removed after cleanup.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { buildFailureExitCode, systemFailureExitCode } from "./driver-process.js";
import type { JobVariable } from "./job-variables.js";

/** A per-attempt temp dir and the environment every driver call of that attempt gets. */
export class JobSession {
  /** JOB_RESPONSE_FILE: the job payload, mode 0600. */
  readonly responseFile: string;
  /** BUILD_EXIT_CODE_FILE: the driver may write the script's real exit code here. */
  readonly exitCodeFile: string;

  private constructor(readonly dir: string) {
    this.responseFile = path.join(dir, "response.json");
    this.exitCodeFile = path.join(dir, "build_exit_code");
  }

  /** Creates `<tmpRoot>/custom-executorNNNNNN` (mode 0700, like mkdtemp everywhere). */
  static async create(tmpRoot: string): Promise<JobSession> {
    return new JobSession(await mkdtemp(path.join(tmpRoot, "custom-executor")));
  }

  /** Writes (or rewrites) the job payload, mode 0600. */
  async writePayload(payload: unknown): Promise<void> {
    await writeFile(this.responseFile, JSON.stringify(payload), { mode: 0o600 });
  }

  /** Writes a stage's script as `<dir>/scriptNNNNNN/script.` with mode 0700, like the runner. */
  async writeScript(script: string): Promise<string> {
    const scriptDir = await mkdtemp(path.join(this.dir, "script"));
    const file = path.join(scriptDir, "script.");
    await writeFile(file, script, { mode: 0o700 });
    return file;
  }

  /**
   * The environment of a driver call, later entries winning: the host's, the protocol's fixed
   * variables, the config stage's job_env (absent for config itself), then CUSTOM_ENV_<NAME>.
   */
  env(host: Record<string, string>, vars: readonly JobVariable[], services: string, jobEnv: Record<string, string> | undefined): Record<string, string> {
    const env: Record<string, string> = {
      ...host,
      TMPDIR: this.dir,
      BUILD_FAILURE_EXIT_CODE: String(buildFailureExitCode),
      SYSTEM_FAILURE_EXIT_CODE: String(systemFailureExitCode),
      BUILD_EXIT_CODE_FILE: this.exitCodeFile,
      JOB_RESPONSE_FILE: this.responseFile,
      ...jobEnv,
    };
    for (const v of vars) env[`CUSTOM_ENV_${v.key}`] = v.value;
    env.CUSTOM_ENV_CI_JOB_SERVICES = services;
    return env;
  }

  /** The first line of BUILD_EXIT_CODE_FILE as an integer; undefined when absent, NaN when unreadable. */
  async buildExitCode(): Promise<number | undefined> {
    let text: string;
    try {
      text = await readFile(this.exitCodeFile, "utf8");
    } catch {
      return undefined;
    }
    const first = text.split("\n")[0]!.trim();
    return /^-?\d+$/.test(first) ? Number(first) : Number.NaN;
  }

  /** Removes the temp dir and everything in it. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
