// What prepare leaves for run and cleanup: one file per job, <TaskMetadata.Directory>/<job id>.json,
// written atomically with mode 0600 and read back through the same schema (state/state-file.ts).

/** The per-job state. Written right after RunTask (taskArn only) and completed once SSH is ready. */
export interface JobState {
  version: 1;
  /** The job's identity: `<runner short token>-<sha256 of "<project url>-<pipeline id>-<job id>">`. */
  id: string;
  jobId: string;
  region: string | undefined;
  cluster: string;
  taskArn: string;
  /** OpenSSH-format ed25519 private key for this job only. Never logged. */
  privateKey: string;
  /** Set once the task is RUNNING and its address resolved. */
  address?: string;
  port?: number;
  username?: string;
  /** The task's SSH host key ("ssh-ed25519 AAAA..."), recorded in prepare, required to match in run. */
  hostKey?: string;
  createdAt: string;
}
