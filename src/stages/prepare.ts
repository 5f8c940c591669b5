// prepare: start the job's Fargate task and leave it reachable over SSH. The task ARN is saved
// before any waiting so cleanup can always find it; any failure or SIGTERM after RunTask stops it.
import { DriverError, wrap } from "../errors.js";
import { createTaskRuntime, type TaskRuntime } from "../aws/task-runtime.js";
import { seconds } from "../aws/polling.js";
import { privateAddressOf, taskIdOf } from "../aws/task-facts.js";
import { watchUntilStopped } from "../aws/task-watch.js";
import { generateJobKeyPair } from "../ssh/keys.js";
import { whenPortOpens } from "../ssh/port-probe.js";
import { findTaskByTagHint, salvageTask, withoutDamageAdvice, type SalvagedTask } from "../state/salvage.js";
import { ensureStateDirectory, readState, writeState } from "../state/state-file.js";
import type { JobState } from "../state/types.js";
import type { StageContext } from "./context.js";

/** Builds the task runtime; replaceable in tests. */
export type TaskRuntimeFactory = (cluster: string, region: string | undefined) => TaskRuntime;

/** Starts the task, waits until it runs and accepts SSH, and records how to reach it. */
export async function prepareStage(ctx: StageContext, makeRuntime: TaskRuntimeFactory = createTaskRuntime): Promise<void> {
  const { config, log, job } = ctx;
  const fargate = config.fargate;
  if (ctx.signal.aborted) throw cancelledBeforeStart();
  if (job.jobImage) {
    log.warn(`The job's image "${job.jobImage}" is ignored: the task definition "${fargate.taskDefinition}" decides the image`);
  }

  const keys = generateJobKeyPair(`gitlab-job-${job.jobId}`);
  const runtime = makeRuntime(fargate.cluster, fargate.region);
  try {
    // A directory we cannot write would otherwise surface only after RunTask, with a task to undo.
    await ensureStateDirectory(config.taskMetadata.directory);
    await stopPreviousAttempt(ctx, runtime);
    // SIGTERM during the steps above: no task exists yet, so none is started.
    if (ctx.signal.aborted) throw cancelledBeforeStart();
    log.info(`Starting a Fargate task from "${fargate.taskDefinition}" on cluster "${fargate.cluster}"`);
    const started = Date.now();
    let taskArn: string;
    try {
      taskArn = await runtime.runTask(
        {
          cluster: fargate.cluster,
          taskDefinition: fargate.taskDefinition,
          subnets: fargate.subnets,
          securityGroups: fargate.securityGroups,
          enablePublicIp: fargate.enablePublicIp,
          platformVersion: fargate.platformVersion,
          publicKey: keys.publicKey,
          labels: {
            jobId: job.jobId,
            projectId: job.projectId,
            pipelineId: job.pipelineId,
            runnerShortToken: job.runnerShortToken,
            runnerId: job.runnerId,
          },
        },
        { signal: ctx.signal, onRetry: (message) => log.warn(`Starting the task: ${message}`) },
      );
    } catch (err) {
      throw wrap("starting new Fargate task: running new task on Fargate", err);
    }
    const ranTask = Date.now();
    log.info(`Started task ${taskArn} (RunTask ${seconds(ranTask - started)} s)`);

    try {
      await bringUp(ctx, runtime, taskArn, keys.privateKey, started, ranTask);
    } catch (err) {
      const cancelled = ctx.signal.aborted;
      const reason = cancelled
        ? `Job ${job.jobId} cancelled during prepare (gitlab-fargate-driver)`
        : `Job ${job.jobId} prepare failed (gitlab-fargate-driver): ${err instanceof Error ? err.message : String(err)}`;
      const stopped = await stopAfterFailure(ctx, runtime, taskArn, reason);
      if (!cancelled) throw err;
      const outcome = stopped ? "the task was stopped" : "stopping the task failed: cleanup will try again";
      if (!(err instanceof DriverError && err.code === "cancelled")) {
        throw new DriverError("cancelled", `preparing the task: cancelled (SIGTERM); ${outcome}`, "system", { cause: err });
      }
      throw new DriverError(err.code, `${err.message} (job cancelled: SIGTERM); ${outcome}`, "system", { cause: err });
    }
  } finally {
    runtime.close();
  }
}

function cancelledBeforeStart(): DriverError {
  return new DriverError("cancelled", "preparing the task: cancelled (SIGTERM) before the task was started; no task was started");
}

// Everything between RunTask and "ready": each step's failure is wrapped with what was being done.
async function bringUp(
  ctx: StageContext,
  runtime: TaskRuntime,
  taskArn: string,
  privateKey: string,
  started: number,
  ranTask: number,
): Promise<void> {
  const { config, log, job } = ctx;
  const directory = config.taskMetadata.directory;
  const state: JobState = {
    version: 1,
    id: job.id,
    jobId: job.jobId,
    region: config.fargate.region,
    cluster: config.fargate.cluster,
    taskArn,
    privateKey,
    createdAt: new Date().toISOString(),
  };
  await writeState(directory, state);
  // A SIGTERM that arrived during RunTask: the call was let through, now undo it.
  if (ctx.signal.aborted) throw new DriverError("cancelled", "preparing the task: cancelled (SIGTERM) while starting the task");

  if (config.fargate.usePublicIp) runtime.preparePublicAddressLookup();
  // ssh2 is loaded while the task starts rather than before RunTask (a failed load surfaces below).
  const sshModule = import("../ssh/wait-ready.js");
  sshModule.catch(() => undefined);
  const shortId = `${taskIdOf(taskArn).slice(0, 8)}…`;
  let task;
  const probing = new AbortController();
  try {
    task = await runtime.waitUntilRunning(taskArn, {
      timeoutMs: config.fargate.startTimeoutMs,
      signal: ctx.signal,
      onStatus: (status) => log.info(`Task ${shortId} is ${status} (${seconds(Date.now() - started)} s)`),
      // sshd listening means the container runs: ask ECS then rather than up to a poll interval later.
      wakeWhen: (pending) => {
        const ip = privateAddressOf(pending);
        return ip ? whenPortOpens(ip, config.ssh.port, { signal: probing.signal }) : undefined;
      },
    });
  } catch (err) {
    throw wrap("waiting Fargate task to be ready", err);
  } finally {
    probing.abort();
  }
  const running = Date.now();

  let address: string;
  try {
    address = await runtime.resolveAddress(task, config.fargate.usePublicIp, ctx.signal);
  } catch (err) {
    throw wrap("fetching the container IP", err);
  }

  const { username, port } = config.ssh;
  let hostKey: string;
  // Ends the SSH wait on SIGTERM, or as soon as ECS reports the task stopped.
  const waiting = new AbortController();
  const cancel = () => waiting.abort();
  ctx.signal.addEventListener("abort", cancel, { once: true });
  const stopped = watchUntilStopped(runtime, taskArn, waiting.signal).then((reason) => {
    if (reason) waiting.abort();
    return reason;
  });
  try {
    const { waitForSsh } = await sshModule;
    const connection = await waitForSsh(
      { host: address, port, username, privateKey },
      {
        readyTimeoutMs: config.ssh.readyTimeoutMs,
        connectTimeoutMs: config.ssh.connectTimeoutMs,
        signal: waiting.signal,
        onRetry: (attempt, reason) => log.debug(`SSH not ready yet (attempt ${attempt}): ${reason}`),
      },
    );
    connection.client.end();
    hostKey = connection.hostKey;
  } catch (err) {
    const doing = `waiting for the task's SSH server: connecting to server "${address}:${port}" as user "${username}"`;
    const failed = wrap(doing, err);
    if (ctx.signal.aborted) throw failed;
    waiting.abort();
    // The watch looks only every few seconds: a task that died since its last look would read as "connection refused".
    const stopReason = (await stopped) ?? (await runtime.describeStop(taskArn, ctx.signal).catch(() => undefined));
    if (stopReason) throw new DriverError("task_stopped", `${doing}: the task stopped: ${stopReason}`, "system", { cause: err });
    if (failed.code === "cancelled") throw failed;
    throw new DriverError(failed.code, `${failed.message}; ${sshReadyHint(port, config.ssh.readyTimeoutMs)}`, "system", { cause: err });
  } finally {
    ctx.signal.removeEventListener("abort", cancel);
    waiting.abort();
  }
  const sshReady = Date.now();

  await writeState(directory, { ...state, address, port, username, hostKey });
  log.info(
    `Task ready in ${seconds(sshReady - started)} s (RunTask ${seconds(ranTask - started)} s, ` +
      `to RUNNING ${seconds(running - ranTask)} s, to SSH ${seconds(sshReady - running)} s) at ${address}:${port}`,
  );
}

// The task runs but its sshd never accepted us: the usual causes, in the order users hit them (#34).
function sshReadyHint(port: number, readyTimeoutMs: number): string {
  return (
    `the task was RUNNING but its SSH server did not accept the job's key within ReadyTimeout (${seconds(readyTimeoutMs)} s): ` +
    `check that the task's security group allows TCP port ${port} from the runner, that the task definition maps container port ${port}, ` +
    `and that the image starts sshd and installs the SSH_PUBLIC_KEY environment variable into authorized_keys`
  );
}

// The runner retries prepare (up to 3 times) for the same job: if an earlier attempt's task is
// still on record (its cleanup could not stop it), stop it now rather than orphan it. The state
// write that follows replaces the file, so a damaged one is salvaged first (as cleanup does).
async function stopPreviousAttempt(ctx: StageContext, runtime: TaskRuntime): Promise<void> {
  const directory = ctx.config.taskMetadata.directory;
  let previous: SalvagedTask | undefined;
  try {
    previous = await readState(directory, ctx.job.id);
  } catch (err) {
    // None (the usual case), or unreadable: the state write will say so.
    if (!(err instanceof DriverError && err.code === "state_corrupted")) return;
    previous = await salvageTask(directory, ctx.job.id);
    const what = withoutDamageAdvice(err.message);
    if (!previous) {
      ctx.log.warn(`${what}; it names no task and is replaced now: ${findTaskByTagHint(ctx.job.jobId, ctx.config.fargate.cluster)} if one is left`);
      return;
    }
    ctx.log.warn(`${what}; stopping the task named in it before starting another`);
  }
  try {
    await runtime.stopTask(previous.taskArn, `Job ${ctx.job.jobId} superseded by a new prepare attempt (gitlab-fargate-driver)`);
    ctx.log.info(`Stopped task ${previous.taskArn} left by an earlier prepare attempt`);
  } catch (err) {
    ctx.log.warn(`stopping Fargate Task "${previous.taskArn}" left by an earlier prepare attempt: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// True when the task was stopped.
async function stopAfterFailure(ctx: StageContext, runtime: TaskRuntime, taskArn: string, reason: string): Promise<boolean> {
  try {
    await runtime.stopTask(taskArn, reason);
    ctx.log.info(`Stopped task ${taskArn}`);
    return true;
  } catch (err) {
    // The state file still names the task, so cleanup will try again.
    ctx.log.error(`stopping Fargate Task "${taskArn}" after a failed prepare: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}
