// cleanup: stop the job's task and forget it. Idempotent: runs after every failed prepare attempt
// too, so a missing state file or an already stopped task is not an error. An AWS failure keeps
// the state file, so a later cleanup (or an operator) can still find the task.
import { DriverError, wrap } from "../errors.js";
import { createTaskRuntime } from "../aws/task-runtime.js";
import { findTaskByTagHint, salvageTask, withoutDamageAdvice, type SalvagedTask } from "../state/salvage.js";
import { deleteState, readState } from "../state/state-file.js";
import type { StageContext } from "./context.js";
import type { TaskRuntimeFactory } from "./prepare.js";

/** Stops the job's task (if any) and deletes its state file. */
export async function cleanupStage(ctx: StageContext, makeRuntime: TaskRuntimeFactory = createTaskRuntime): Promise<void> {
  const directory = ctx.config.taskMetadata.directory;
  let state: SalvagedTask;
  try {
    state = await readState(directory, ctx.job.id);
  } catch (err) {
    if (err instanceof DriverError && err.code === "state_missing") {
      ctx.log.warn(`No task to clean up for job ${ctx.job.jobId}: ${err.message}`);
      return;
    }
    if (!(err instanceof DriverError && err.code === "state_corrupted")) throw err;
    state = await salvage(ctx, err);
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

// A damaged state file: stop the task named in what is left of it. Without one there is nothing
// cleanup can stop: the file goes (it holds the job's private key) and the error says how to find the task.
async function salvage(ctx: StageContext, damaged: DriverError): Promise<SalvagedTask> {
  const directory = ctx.config.taskMetadata.directory;
  const found = await salvageTask(directory, ctx.job.id);
  if (found) {
    ctx.log.warn(`${damaged.message}; stopping the task named in it anyway`);
    return found;
  }
  await deleteState(directory, ctx.job.id);
  throw new DriverError(
    "state_corrupted",
    `${withoutDamageAdvice(damaged.message)}; it names no task, so none was stopped and the file was deleted: ` +
      findTaskByTagHint(ctx.job.jobId, ctx.config.fargate.cluster),
    "system",
    { cause: damaged },
  );
}
