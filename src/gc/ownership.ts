// Which tasks and state files belong to a runner. A task is the runner's only when ALL of prepare's
// markers match exactly: startedBy `gitlab-fargate-<token>`, tag gitlab-runner:runner = <token> and
// tag gitlab-runner:driver = gitlab-fargate-driver. A task another runner started (or anything
// started by hand) fails at least one of them and is never touched.
import { DRIVER_TAG_VALUE, startedByMarker, TAG_PREFIX } from "../aws/run-task-input.js";
import type { InventoryTask } from "../aws/task-inventory.js";

/** The tag keys prepare sets (see aws/run-task-input.ts). */
export const RUNNER_TAG = `${TAG_PREFIX}runner`;
export const DRIVER_TAG = `${TAG_PREFIX}driver`;
export const JOB_TAG = `${TAG_PREFIX}job-id`;

/** The startedBy value prepare gives the runner's tasks (tokens are pre-checked, so nothing is rewritten). */
export function runnerStartedBy(token: string): string {
  return startedByMarker(token);
}

/** True only when every marker prepare sets names this runner. */
export function isRunnersTask(task: InventoryTask, token: string): boolean {
  return task.startedBy === runnerStartedBy(token) && task.tags[RUNNER_TAG] === token && task.tags[DRIVER_TAG] === DRIVER_TAG_VALUE;
}

// A state file is `<token>-<64 hex>.json` (job.ts computeJobId); the token part is exact for valid tokens.
const STATE_ID = /^(.+)-[0-9a-f]{64}$/;

/** The runner token a state file id starts with, or undefined for names prepare never writes. */
export function runnerOfStateId(id: string): string | undefined {
  return STATE_ID.exec(id)?.[1];
}
