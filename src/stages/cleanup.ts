// cleanup: stop the job's task and forget it. Idempotent: runs after every failed prepare attempt
// too, so a missing state file or an already stopped task is not an error. An AWS failure keeps
// the state file, so a later cleanup (or an operator) can still find the task.
import { DriverError, wrap } from "../errors.js";
import { createTaskRuntime } from "../aws/task-runtime.js";
import { deleteState, readState } from "../state/state-file.js";
import type { JobState } from "../state/types.js";
import type { StageContext } from "./context.js";
import type { TaskRuntimeFactory } from "./prepare.js";

/** Stops the job's task (if any) and deletes its state file. */
export async function cleanupStage(ctx: StageContext, makeRuntime: TaskRuntimeFactory = createTaskRuntime): Promise<void> {
  const directory = ctx.config.taskMetadata.directory;
  let state: JobState;
  try {
    state = await readState(directory, ctx.job.id);
  } catch (err) {
    if (err instanceof DriverError && err.code === "state_missing") {
      ctx.log.warn(`No task to clean up for job ${ctx.job.jobId}: ${err.message}`);
      return;
    }
    throw err;
  }
  // The cluster and region prepare used, even if the config changed since.
  const runtime = makeRuntime(state.cluster, state.region ?? ctx.config.fargate.region);
  try {
    await runtime.stopTask(state.taskArn, `Job ${ctx.job.jobId} finished (gitlab-fargate-driver cleanup)`);
  } catch (err) {
    throw wrap(`stopping Fargate Task "${state.taskArn}"`, err);
  } finally {
    runtime.close();
  }
  ctx.log.info(`Stopped task ${state.taskArn}`);
  await deleteState(directory, ctx.job.id);
}
