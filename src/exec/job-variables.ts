// The job's variables as GitLab Runner would hand them to a custom executor: the predefined CI_*
// variables (with local stand-in values, see LocalJob), then the file's global and job variables,
// then command-line overrides; later entries win. References like $X and ${X} are expanded.
import type { JobDefinition } from "./gitlab-ci.js";

/** One job variable, as in the job payload's `variables[]`. */
export interface JobVariable {
  key: string;
  value: string;
  /** Replaced by [MASKED] in the job log that exec prints. */
  masked: boolean;
  public: boolean;
}

/** CI_JOB_STATUS values: `running` during the job, the outcome during after_script and later stages. */
export type JobStatus = "running" | "success" | "failed" | "canceled" | "timedout";

/** The local stand-ins for what a GitLab server would know about the job. */
export interface LocalJob {
  jobId: number;
  pipelineId: number;
  /** Random per run; masked like GitLab's CI_JOB_TOKEN. */
  jobToken: string;
  /** The directory name of the CI file, made URL-safe: CI_PROJECT_NAME. */
  projectName: string;
  buildsDir: string;
  cacheDir: string;
  buildsDirIsShared: boolean;
  status: JobStatus;
  startedAt: Date;
  /** Extra variables (like "Run pipeline" form variables): they win over the file's. */
  overrides: Record<string, string>;
}

/** The local runner's registration token; its short form "localexec" names the runner. */
export const localRunnerToken = "glrt-localexec-0000000000000000";
/** First 9 characters of the token without its glrt- prefix, as GitLab computes CI_RUNNER_SHORT_TOKEN. */
export const localRunnerShortToken = localRunnerToken.replace(/^glrt-/, "").slice(0, 9);
/** Loopback stand-in for the GitLab server: nothing ever contacts it. */
export const localServerUrl = "http://localhost";
/** The namespace every local project lives in: CI_PROJECT_PATH is `local/<project>`. */
export const localNamespace = "local";
/** The commit every local job pretends to build (no repository is checked out). */
export const localCommitSha = "0".repeat(40);
/** The branch every local job pretends to build. */
export const localBranch = "main";

// GitLab only masks values of at least 8 characters; shorter ones would mangle ordinary output.
const minMaskedLength = 8;
const secretName = /TOKEN|PASSWORD|SECRET/i;

/** The project directory inside the builds dir, as the runner lays it out. */
export function projectDir(job: LocalJob): string {
  const builds = job.buildsDir.replace(/(.)\/+$/, "$1");
  const base = job.buildsDirIsShared ? `${builds}/${localRunnerShortToken}/0` : builds;
  return `${base}/${localNamespace}/${job.projectName}`;
}

/** Turns a directory name into a GitLab-style project path segment. */
export function projectNameFrom(dirName: string): string {
  const name = dirName.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "");
  return name === "" ? "project" : name;
}

/** All variables of the job, predefined first, deduplicated (the last definition wins), expanded. */
export function buildJobVariables(def: JobDefinition, job: LocalJob): JobVariable[] {
  const projectPath = `${localNamespace}/${job.projectName}`;
  const projectUrl = `${localServerUrl}/${projectPath}`;
  const predefined: Array<[string, string]> = [
    ["CI", "true"],
    ["GITLAB_CI", "true"],
    ["CI_SERVER", "yes"],
    ["CI_SERVER_URL", localServerUrl],
    ["CI_SERVER_HOST", "localhost"],
    ["CI_SERVER_PROTOCOL", "http"],
    ["CI_SERVER_PORT", "80"],
    ["CI_API_V4_URL", `${localServerUrl}/api/v4`],
    ["CI_RUNNER_ID", "1"],
    ["CI_RUNNER_SHORT_TOKEN", localRunnerShortToken],
    ["CI_RUNNER_DESCRIPTION", "fargate exec (local job runner)"],
    ["CI_RUNNER_TAGS", "[]"],
    ["CI_CONCURRENT_ID", "0"],
    ["CI_CONCURRENT_PROJECT_ID", "0"],
    ["CI_PROJECT_ID", "1"],
    ["CI_PROJECT_NAME", job.projectName],
    ["CI_PROJECT_NAMESPACE", localNamespace],
    ["CI_PROJECT_PATH", projectPath],
    ["CI_PROJECT_PATH_SLUG", projectPath.replace(/[^a-z0-9]/g, "-")],
    ["CI_PROJECT_URL", projectUrl],
    ["CI_REPOSITORY_URL", `${projectUrl}.git`],
    ["CI_DEFAULT_BRANCH", localBranch],
    ["CI_COMMIT_SHA", localCommitSha],
    ["CI_COMMIT_SHORT_SHA", localCommitSha.slice(0, 8)],
    ["CI_COMMIT_BEFORE_SHA", localCommitSha],
    ["CI_COMMIT_REF_NAME", localBranch],
    ["CI_COMMIT_REF_SLUG", localBranch],
    ["CI_COMMIT_BRANCH", localBranch],
    ["CI_PIPELINE_ID", String(job.pipelineId)],
    ["CI_PIPELINE_IID", "1"],
    ["CI_PIPELINE_SOURCE", "push"],
    ["CI_PIPELINE_URL", `${projectUrl}/-/pipelines/${job.pipelineId}`],
    ["CI_JOB_ID", String(job.jobId)],
    ["CI_JOB_NAME", def.name],
    ["CI_JOB_NAME_SLUG", def.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 63)],
    ["CI_JOB_STAGE", def.stage],
    ["CI_JOB_URL", `${projectUrl}/-/jobs/${job.jobId}`],
    ["CI_JOB_STARTED_AT", job.startedAt.toISOString().replace(/\.\d{3}Z$/, "Z")],
    ["CI_JOB_STATUS", job.status],
    ["CI_JOB_TIMEOUT", String(def.timeoutSeconds)],
    ["CI_NODE_TOTAL", "1"],
    ["CI_BUILDS_DIR", job.buildsDir],
    ["CI_PROJECT_DIR", projectDir(job)],
  ];
  const list: Array<{ key: string; value: string; expand: boolean; masked: boolean }> = predefined.map(([key, value]) => ({
    key, value, expand: false, masked: false,
  }));
  list.push({ key: "CI_JOB_TOKEN", value: job.jobToken, expand: false, masked: true });
  if (def.image) list.push({ key: "CI_JOB_IMAGE", value: def.image.name, expand: true, masked: false });
  for (const v of def.variables) list.push({ ...v, masked: secretName.test(v.key) });
  for (const [key, value] of Object.entries(job.overrides)) list.push({ key, value, expand: true, masked: secretName.test(key) });

  // The last definition of a name wins, at the position of that last definition.
  const byKey = new Map<string, (typeof list)[number]>();
  for (const v of list) {
    byKey.delete(v.key);
    byKey.set(v.key, v);
  }
  const raw = new Map([...byKey.values()].map((v) => [v.key, v]));
  return [...byKey.values()].map((v) => ({
    key: v.key,
    value: v.expand ? expandValue(v.value, raw) : v.value,
    masked: v.masked && v.value.length >= minMaskedLength,
    public: !v.masked,
  }));
}

/** Names of variables that look secret but are too short to mask (GitLab's 8-character minimum). */
export function tooShortToMask(def: JobDefinition, overrides: Record<string, string>): string[] {
  const all = [...def.variables.map((v) => [v.key, v.value] as const), ...Object.entries(overrides)];
  return [...new Set(all.filter(([k, v]) => secretName.test(k) && v.length > 0 && v.length < minMaskedLength).map(([k]) => k))];
}

/** Expands $NAME and ${NAME} against the job's variables; $$ is a literal $; unknown names stay as written. */
export function expandValue(value: string, vars: Map<string, { value: string; expand: boolean }>, depth = 0): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) => {
    if (whole === "$$") return "$";
    const ref = vars.get((braced ?? bare)!);
    if (!ref) return whole;
    // Guard against self-referencing cycles (A: $B, B: $A) by bounding the depth.
    return ref.expand && depth < 10 ? expandValue(ref.value, vars, depth + 1) : ref.value;
  });
}

/** The CI_JOB_SERVICES value: a JSON array as the runner builds it, or "" when there are no services. */
export function servicesJson(def: JobDefinition, vars: JobVariable[]): string {
  if (def.services.length === 0) return "";
  const lookup = new Map(vars.map((v) => [v.key, { value: v.value, expand: false }]));
  return JSON.stringify(def.services.map((s) => {
    const out: Record<string, unknown> = {
      name: expandValue(s.name, lookup),
      alias: s.alias ?? "",
      entrypoint: s.entrypoint ?? null,
      command: s.command ?? null,
    };
    if (s.variables && s.variables.length > 0) out.variables = s.variables.map((v) => ({ key: v.key, value: v.value }));
    return out;
  }));
}
