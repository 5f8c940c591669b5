// The run stages GitLab Runner drives a custom executor through, their job-log headers, when exec
// skips one, and the bash body each runs (the runner's shells/abstract.go, for a local job).
import path from "node:path";
import { BashBody, finishScript, shellEscape } from "./bash-script.js";
import type { JobDefinition } from "./gitlab-ci.js";
import type { JobVariable } from "./job-variables.js";

/** Every run stage name exec uses, in the runner's order. */
export type RunStage =
  | "prepare_script" | "get_sources" | "restore_cache" | "download_artifacts" | "build_script" | "after_script"
  | "archive_cache" | "archive_cache_on_failure" | "upload_artifacts_on_success" | "upload_artifacts_on_failure"
  | "cleanup_file_variables";

/** The section header the runner prints in the job log before each stage. */
export const stageHeaders: Record<RunStage, string> = {
  prepare_script: "Preparing environment",
  get_sources: "Getting source from Git repository",
  restore_cache: "Restoring cache",
  download_artifacts: "Downloading artifacts",
  build_script: 'Executing "step_script" stage of the job script',
  after_script: "Running after_script",
  archive_cache: "Saving cache for successful job",
  archive_cache_on_failure: "Saving cache for failed job",
  upload_artifacts_on_success: "Uploading artifacts for successful job",
  upload_artifacts_on_failure: "Uploading artifacts for failed job",
  cleanup_file_variables: "Cleaning up project directory and file based variables",
};

/** What a stage's script needs to know about the job. */
export interface ScriptContext {
  def: JobDefinition;
  vars: JobVariable[];
  projectDir: string;
  cacheDir: string;
  /** `hostname` from the config stage, shown in "Running on ... via ...". */
  hostname: string | undefined;
}

/** Whether the stage runs at all: after_script only when the job has one (silently, like the runner). */
export function stageNeeded(stage: RunStage, def: JobDefinition): boolean {
  return stage !== "after_script" || def.afterScript.length > 0;
}

/** Why exec skips a stage the runner would run, said in the job log; undefined when it runs. */
export function skipReason(stage: RunStage, def: JobDefinition): string | undefined {
  switch (stage) {
    case "restore_cache":
    case "archive_cache":
    case "archive_cache_on_failure":
      return def.hasCache ? undefined : "the job defines no cache";
    case "upload_artifacts_on_success":
    case "upload_artifacts_on_failure":
      return def.hasArtifacts ? undefined : "the job defines no artifacts";
    case "download_artifacts":
      return "fargate exec runs a single job, so there are no artifacts of earlier jobs to download";
    default:
      return undefined;
  }
}

/** The complete script file for a stage, in the runner's template. */
export function stageScript(stage: RunStage, ctx: ScriptContext): string {
  const trace = ctx.vars.some((v) => v.key === "CI_DEBUG_TRACE" && v.value === "true");
  return finishScript(stageBody(stage, ctx), { trace });
}

function stageBody(stage: RunStage, ctx: ScriptContext): BashBody {
  const body = new BashBody();
  switch (stage) {
    case "prepare_script":
      // The runner's only prepare line; $(hostname) runs where the job runs, i.e. in the task.
      return body.line(`echo "Running on $(hostname)"${shellEscape(ctx.hostname ? ` via ${ctx.hostname}...` : "...")}`);
    case "get_sources":
      return getSources(body.exports(ctx.vars), ctx);
    case "build_script":
      return body.exports(ctx.vars).cd(ctx.projectDir).commands([...ctx.def.beforeScript, ...ctx.def.script]);
    case "after_script":
      return body.exports(ctx.vars).cd(ctx.projectDir).notice("Running after script...").commands(ctx.def.afterScript);
    case "restore_cache":
      return cacheCommands(body.exports(ctx.vars).cd(ctx.projectDir), ctx, "extract");
    case "archive_cache":
    case "archive_cache_on_failure":
      return cacheCommands(body.exports(ctx.vars).cd(ctx.projectDir), ctx, "archive");
    case "upload_artifacts_on_success":
    case "upload_artifacts_on_failure":
      return body.exports(ctx.vars).cd(ctx.projectDir)
        .warning("Uploading artifacts needs a GitLab server; fargate exec has none: skipping the upload");
    case "download_artifacts":
      return body.exports(ctx.vars).cd(ctx.projectDir);
    case "cleanup_file_variables":
      // File variables would live in <project dir>.tmp; exec defines none, but clear it as the runner does.
      return body.line(`rm -r -f ${shellEscape(`${ctx.projectDir}.tmp`)}`);
  }
}

function getSources(body: BashBody, ctx: ScriptContext): BashBody {
  const strategy = ctx.vars.find((v) => v.key === "GIT_STRATEGY")?.value ?? "";
  if (strategy === "empty") {
    body.notice("Skipping Git repository setup and creating an empty build directory");
    body.line(`rm -r -f ${shellEscape(ctx.projectDir)}`);
  } else if (strategy === "none") {
    body.notice("Skipping Git repository setup");
  } else if (strategy === "") {
    body.notice("fargate exec has no GitLab server to clone from: skipping the Git checkout (as with GIT_STRATEGY: none)");
    body.notice("Skipping Git repository setup");
  } else {
    body.warning(`fargate exec has no GitLab server to clone from: ignoring GIT_STRATEGY=${strategy} and skipping the Git checkout (as with GIT_STRATEGY: none)`);
    body.notice("Skipping Git repository setup");
  }
  body.mkdir(ctx.projectDir);
  body.notice("Skipping Git checkout");
  body.notice("Skipping Git submodules setup");
  return body;
}

interface CacheSpec {
  key: string;
  paths: string[];
  untracked: boolean;
}

function cacheSpecs(cache: unknown): CacheSpec[] {
  const list = Array.isArray(cache) ? cache : [cache];
  return list.flatMap((c): CacheSpec[] => {
    if (typeof c !== "object" || c === null) return [];
    const o = c as Record<string, unknown>;
    const paths = Array.isArray(o.paths) ? o.paths.filter((p): p is string => typeof p === "string") : [];
    const key = typeof o.key === "string" && o.key !== "" ? o.key : "default";
    return [{ key, paths, untracked: o.untracked === true }];
  });
}

// The runner's cacheExtractor/cacheArchiver, guarded by `gitlab-runner --version` like the runner,
// with a local cache file (no cache server) relative to the project directory.
function cacheCommands(body: BashBody, ctx: ScriptContext, action: "extract" | "archive"): BashBody {
  for (const spec of cacheSpecs(ctx.def.cache)) {
    const args = [...spec.paths.flatMap((p) => ["--path", p]), ...(spec.untracked ? ["--untracked"] : [])];
    if (args.length === 0) continue;
    const file = path.posix.relative(ctx.projectDir, path.posix.join(ctx.cacheDir, spec.key, "cache.zip"));
    const what = action === "extract" ? "Extracting cache" : "Creating cache";
    body.line("if gitlab-runner --version >/dev/null 2>&1; then");
    if (action === "extract") {
      body.notice(`Checking cache for ${spec.key}...`);
      body.line(`if ${cmd(["gitlab-runner", "cache-extractor", "--file", file, "--timeout", "10"])}; then`);
      body.notice("Successfully extracted cache").line("else").warning("Failed to extract cache").line("fi");
    } else {
      body.notice(`Creating cache ${spec.key}...`);
      body.line(`if ${cmd(["gitlab-runner", "cache-archiver", "--file", file, "--timeout", "10", ...args])}; then`);
      body.notice("Created cache").line("else").warning("Failed to create cache").line("fi");
    }
    body.line("else").warning(`Missing gitlab-runner. ${what} is disabled.`).line("fi");
  }
  return body;
}

function cmd(argv: string[]): string {
  return argv.map(shellEscape).join(" ");
}
