// A damaged state file (truncated by a crash, hand-edited) may still name its task: cleanup and a
// retried prepare both find the task ARN in what is left, so that task is stopped, not orphaned.
import { readFile } from "node:fs/promises";
import { statePath } from "./state-file.js";
import type { JobState } from "./types.js";

/** Where a salvaged task runs: its ARN, and the cluster and region the ARN names. */
export type SalvagedTask = Pick<JobState, "taskArn" | "cluster" | "region">;

// ECS task ARNs: arn:<partition>:ecs:<region>:<account>:task/<cluster>/<task id>.
const TASK_ARN = /arn:aws[a-z-]*:ecs:([a-z0-9-]+):\d{12}:task\/([A-Za-z0-9_-]+)\/[A-Za-z0-9]+/;

/** The task a damaged state file still names, or undefined when none can be found (or the file is unreadable). */
export async function salvageTask(directory: string, id: string): Promise<SalvagedTask | undefined> {
  const text = await readFile(statePath(directory, id), "utf8").catch(() => "");
  const match = TASK_ARN.exec(text);
  return match ? { taskArn: match[0], cluster: match[2]!, region: match[1] } : undefined;
}

/** What to do when a damaged state file names no task: find the job's task by its tag. */
export function findTaskByTagHint(jobId: string, cluster: string): string {
  return `look for a task tagged gitlab-runner:job-id=${jobId} in cluster "${cluster}" and stop it`;
}

/** A damaged-state message without its generic advice, for callers that say what they did instead. */
export function withoutDamageAdvice(message: string): string {
  return message.replace(/; the file is damaged.*$/, "");
}
