// cleanup: stop the job's task and forget it. Idempotent: runs after every failed prepare attempt
// too, so a missing state file or an already stopped task is not an error. An AWS failure keeps
// the state file, so a later cleanup (or an operator) can still find the task.
import { readFile } from "node:fs/promises";
import { DriverError, wrap } from "../errors.js";
import { createTaskRuntime } from "../aws/task-runtime.js";
import { deleteState, readState, statePath } from "../state/state-file.js";
import type { JobState } from "../state/types.js";
import type { StageContext } from "./context.js";
import type { TaskRuntimeFactory } from "./prepare.js";

/** Stops the job's task (if any) and deletes its state file. */
export async function cleanupStage(ctx: StageContext, makeRuntime: TaskRuntimeFactory = createTaskRuntime): Promise<void> {
  const directory = ctx.config.taskMetadata.directory;
  let state: Pick<JobState, "taskArn" | "cluster" | "region">;
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

// ECS task ARNs: arn:<partition>:ecs:<region>:<account>:task/<cluster>/<task id>.
const TASK_ARN = /arn:aws[a-z-]*:ecs:([a-z0-9-]+):\d{12}:task\/([A-Za-z0-9_-]+)\/[A-Za-z0-9]+/;

// A damaged state file (truncated by a crash, hand-edited): find the task ARN in what is left so the
// task is still stopped. Without one there is nothing cleanup can stop: the file goes (it holds the
// job's private key) and the error says how to find the task.
async function salvage(ctx: StageContext, damaged: DriverError): Promise<Pick<JobState, "taskArn" | "cluster" | "region">> {
  const directory = ctx.config.taskMetadata.directory;
  const text = await readFile(statePath(directory, ctx.job.id), "utf8").catch(() => "");
  const match = TASK_ARN.exec(text);
  if (match) {
    ctx.log.warn(`${damaged.message}; stopping the task named in it anyway`);
    return { taskArn: match[0], cluster: match[2]!, region: match[1] };
  }
  await deleteState(directory, ctx.job.id);
  throw new DriverError(
    "state_corrupted",
    `${damaged.message.replace(/; the file is damaged.*$/, "")}; it names no task, so none was stopped and the file was deleted: ` +
      `look for a task tagged gitlab-runner:job-id=${ctx.job.jobId} in cluster "${ctx.config.fargate.cluster}" and stop it`,
    "system",
    { cause: damaged },
  );
}
