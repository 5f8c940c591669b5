// The job payload GitLab would send the runner for this job (the JOB_RESPONSE_FILE a driver may
// read), built from the local job: same top-level shape, local stand-in values.
import type { JobDefinition } from "./gitlab-ci.js";
import {
  localBranch, localCommitSha, localNamespace, localServerUrl, type JobVariable, type LocalJob,
} from "./job-variables.js";

/** The JSON written to JOB_RESPONSE_FILE (mode 0600). */
export function jobPayload(def: JobDefinition, job: LocalJob, vars: readonly JobVariable[]): Record<string, unknown> {
  const projectUrl = `${localServerUrl}/${localNamespace}/${job.projectName}`;
  const steps: Array<Record<string, unknown>> = [
    { name: "script", script: [...def.beforeScript, ...def.script], timeout: def.timeoutSeconds, when: "on_success", allow_failure: false },
  ];
  if (def.afterScript.length > 0) {
    steps.push({ name: "after_script", script: def.afterScript, timeout: def.timeoutSeconds, when: "always", allow_failure: true });
  }
  return {
    id: job.jobId,
    token: job.jobToken,
    allow_git_fetch: false,
    job_info: {
      id: job.jobId,
      name: def.name,
      stage: def.stage,
      project_id: 1,
      project_name: job.projectName,
      project_full_path: `${localNamespace}/${job.projectName}`,
      time_in_queue_seconds: 0,
    },
    git_info: {
      repo_url: `${projectUrl}.git`,
      ref: localBranch,
      sha: localCommitSha,
      before_sha: localCommitSha,
      ref_type: "branch",
      refspecs: [],
      depth: 0,
    },
    runner_info: { timeout: def.timeoutSeconds },
    variables: vars.map((v) => ({ key: v.key, value: v.value, public: v.public, masked: v.masked, file: false, raw: false })),
    steps,
    image: def.image ? { name: def.image.name, ...(def.image.entrypoint ? { entrypoint: def.image.entrypoint } : {}) } : { name: "" },
    services: def.services.map((s) => ({
      name: s.name,
      alias: s.alias ?? "",
      entrypoint: s.entrypoint ?? null,
      command: s.command ?? null,
      ...(s.variables ? { variables: s.variables.map((v) => ({ key: v.key, value: v.value })) } : {}),
    })),
    artifacts: def.artifacts ? [def.artifacts] : [],
    cache: def.cache ? (Array.isArray(def.cache) ? def.cache : [def.cache]) : [],
    credentials: [],
    dependencies: [],
    features: { trace_sections: true, failure_reasons: ["script_failure", "runner_system_failure", "job_execution_timeout"] },
  };
}
