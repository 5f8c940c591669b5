// The task runtime port in the driver's own words, and its ECS/EC2 adapter. Stages talk to
// TaskRuntime; only this file knows SDK commands.
import type { Task } from "@aws-sdk/client-ecs";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DriverError } from "../errors.js";
import { createAwsClients, type AwsClients } from "./clients.js";
import { fullJitterMs, pause, retryThrottled, THROTTLE_BUDGET_MS } from "./backoff.js";
import { isThrottling, MAX_POLL_INTERVAL_MS, nextPollDelay, POLL_INTERVAL_MS, seconds } from "./polling.js";
import { buildRunTaskInput, type StartTaskRequest } from "./run-task-input.js";
import { ec2Sdk, ecsSdk } from "./sdk.js";
import {
  describeStopReason,
  formatFailure,
  isCapacityFailure,
  isStopping,
  networkInterfaceIdOf,
  privateAddressOf,
  taskIdOf,
} from "./task-facts.js";

const { DescribeTasksCommand, RunTaskCommand, StopTaskCommand } = ecsSdk();

/** What starting a task needs beyond one subnet: the subnets to try in turn. */
export type StartTaskOptions = Omit<StartTaskRequest, "subnet"> & { subnets: string[] };

/** What may cut RunTask's retries short, and who hears about them. */
export interface RunTaskControl {
  /** Ends the pauses between attempts (never a call in flight). */
  signal?: AbortSignal;
  /** Told about each capacity failure or throttled attempt, in one line. */
  onRetry?: (message: string) => void;
}

/** How to wait for RUNNING. */
export interface WaitOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Called on every status change with the time since waiting began. */
  onStatus?: (status: string, elapsedMs: number) => void;
  /**
   * Asked after each look at a task not yet RUNNING: a promise that settles when the task is
   * probably running (its port opened), to poll again at once instead of after the interval.
   * Used once: after it settles (or while it returns undefined) the plain interval applies.
   */
  wakeWhen?: (task: Task) => Promise<unknown> | undefined;
}

/** The task runtime: start, wait, locate, stop and explain a job's task. */
export interface TaskRuntime {
  /** Starts loading what resolveAddress(…, true) needs, so it overlaps the wait for RUNNING. */
  preparePublicAddressLookup(): void;
  /** RunTask, trying the subnets in turn on capacity failures (a few rounds, with backoff); never aborted mid-flight. Returns the task ARN. */
  runTask(options: StartTaskOptions, control?: RunTaskControl): Promise<string>;
  /** Polls until RUNNING; fails with the stop reason if the task stops first, or on timeout/abort. */
  waitUntilRunning(taskArn: string, options: WaitOptions): Promise<Task>;
  /** The address to connect to: the ENI's private IPv4, or its public IP through EC2. */
  resolveAddress(task: Task, usePublicIp: boolean, signal?: AbortSignal): Promise<string>;
  /** StopTask with a reason; an unknown or already stopped task is fine. */
  stopTask(taskArn: string, reason: string): Promise<void>;
  /** Why the task stopped (stop code, reason, containers), or undefined while it still runs. */
  describeStop(taskArn: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Releases the SDK clients' sockets. */
  close(): void;
}

// Capacity failures: every subnet is tried this many times, with a jittered pause between rounds.
const CAPACITY_ROUNDS = 3;
const CAPACITY_BACKOFF_MS = 1000;
const CAPACITY_BACKOFF_CAP_MS = 8000;

// DescribeTasks is eventually consistent: a task just started may be MISSING for a moment.
const MISSING_GRACE_MS = 10_000;

function errorText(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/** TaskRuntime over ECS (and EC2 for public IPs). */
export class EcsTaskRuntime implements TaskRuntime {
  constructor(
    private readonly clients: AwsClients,
    private readonly cluster: string,
  ) {}

  async runTask(options: StartTaskOptions, control: RunTaskControl = {}): Promise<string> {
    const { subnets, ...rest } = options;
    if (subnets.length === 0) throw new DriverError("task_start_failed", "error starting AWS Fargate Task: no subnet configured");
    let lastFailure = "";
    for (let round = 1; round <= CAPACITY_ROUNDS; round++) {
      if (round > 1) {
        const delay = fullJitterMs(round - 1, CAPACITY_BACKOFF_MS, CAPACITY_BACKOFF_CAP_MS);
        control.onRetry?.(`no capacity in any configured subnet (${lastFailure}); trying again in ${seconds(delay)} s`);
        await pause(delay, control.signal, "waiting to retry RunTask after a capacity failure");
      }
      for (const subnet of subnets) {
        const outcome = await this.runTaskIn(subnet, rest, control);
        if (outcome.taskArn) return outcome.taskArn;
        lastFailure = outcome.failure;
        if (!outcome.capacity) {
          throw new DriverError("task_start_failed", `error starting AWS Fargate Task: ${lastFailure}`);
        }
        control.onRetry?.(`subnet ${subnet}: ${lastFailure}`);
      }
    }
    throw new DriverError(
      "task_start_failed",
      `error starting AWS Fargate Task: ${lastFailure} (tried subnet${subnets.length > 1 ? "s" : ""} ${subnets.join(", ")}, ` +
        `${CAPACITY_ROUNDS} times each); add subnets in other availability zones to [Fargate] Subnets, or retry later`,
    );
  }

  // One RunTask call on one subnet, riding out throttling; a task ARN, or the failure ECS answered.
  private async runTaskIn(
    subnet: string,
    rest: Omit<StartTaskOptions, "subnets">,
    control: RunTaskControl,
  ): Promise<{ taskArn?: string; failure: string; capacity: boolean }> {
    // The client token makes retries of this one call idempotent (no second task); a new subnet is a new call.
    const input = { ...buildRunTaskInput({ ...rest, subnet }), clientToken: randomUUID() };
    const send = () => {
      // Before every call no task exists yet: a job cancelled by now starts none.
      if (control.signal?.aborted) return Promise.reject(new DriverError("cancelled", "cancelled (SIGTERM) before RunTask was sent: no task was started"));
      return this.clients.ecs.send(new RunTaskCommand(input));
    };
    let output;
    try {
      // No abortSignal on the call on purpose: an aborted RunTask may still have created a task we could not stop.
      output = await retryThrottled(send, {
        budgetMs: THROTTLE_BUDGET_MS,
        signal: control.signal,
        what: "starting the task",
        onThrottled: (attempt, delay) => control.onRetry?.(`RunTask throttled (attempt ${attempt}); retrying in ${seconds(delay)} s`),
      });
    } catch (err) {
      if (err instanceof DriverError) throw err;
      throw new DriverError("task_start_failed", `error starting AWS Fargate Task: ${errorText(err)}`, "system", { cause: err });
    }
    const arn = output.tasks?.[0]?.taskArn;
    if (arn) return { taskArn: arn, failure: "", capacity: false };
    const failures = output.failures ?? [];
    return {
      failure: failures.map(formatFailure).join("; ") || "RunTask returned no task and no failure",
      capacity: failures.some(isCapacityFailure),
    };
  }

  async waitUntilRunning(taskArn: string, options: WaitOptions): Promise<Task> {
    const started = Date.now();
    let delay = POLL_INTERVAL_MS;
    let lastStatus = "";
    let wake: Promise<unknown> | undefined;
    let woken = false;
    while (true) {
      const elapsed = Date.now() - started;
      if (options.signal.aborted) {
        throw new DriverError("cancelled", `cancelled while the task was ${lastStatus || "starting"}`);
      }
      let task: Task | undefined;
      let throttled = false;
      try {
        task = await this.describe(taskArn, options.signal);
      } catch (err) {
        if (options.signal.aborted) continue;
        if (!isThrottling(err)) throw new DriverError("task_wait_failed", `describing task: ${errorText(err)}`, "system", { cause: err });
        throttled = true;
      }
      if (task) {
        const status = task.lastStatus ?? "UNKNOWN";
        if (status !== lastStatus) {
          lastStatus = status;
          options.onStatus?.(status, Date.now() - started);
        }
        if (status === "RUNNING") return task;
        if (!wake && options.wakeWhen) wake = options.wakeWhen(task)?.finally(() => (woken = true));
        if (isStopping(task)) {
          throw new DriverError("task_stopped", `task ${taskIdOf(taskArn)} stopped before RUNNING: ${describeStopReason(task)}`);
        }
      } else if (!throttled && elapsed > MISSING_GRACE_MS) {
        throw new DriverError("task_missing", `task ${taskIdOf(taskArn)} is unknown to ECS (MISSING)`);
      }
      if (Date.now() - started >= options.timeoutMs) {
        throw new DriverError(
          "task_start_timeout",
          `task ${taskIdOf(taskArn)} not RUNNING after ${seconds(options.timeoutMs)} s (last status ${lastStatus || "unknown"}); ` +
            "check StartTimeout and the task's image size",
        );
      }
      delay = nextPollDelay(delay, throttled);
      // Throttled: a random pause up to the doubled interval, so throttled runners spread out.
      const pauseMs = throttled ? POLL_INTERVAL_MS / 2 + fullJitterMs(1, delay - POLL_INTERVAL_MS / 2, MAX_POLL_INTERVAL_MS) : delay;
      const pausing = sleep(Math.min(pauseMs, Math.max(options.timeoutMs - (Date.now() - started), 0)), undefined, {
        signal: options.signal,
      }).catch(() => undefined); // an abort is handled at the top of the loop
      await (wake && !woken && !throttled ? Promise.race([pausing, wake.catch(() => undefined)]) : pausing);
    }
  }

  preparePublicAddressLookup(): void {
    void this.clients.ec2().catch(() => undefined); // a failure resurfaces in resolveAddress
  }

  async resolveAddress(task: Task, usePublicIp: boolean, signal?: AbortSignal): Promise<string> {
    if (!usePublicIp) {
      const ip = privateAddressOf(task);
      if (!ip) throw new DriverError("task_address_missing", "the task has no private IPv4 address on its ENI attachment");
      return ip;
    }
    const eni = networkInterfaceIdOf(task);
    if (!eni) throw new DriverError("task_address_missing", "the task has no network interface attachment");
    let output;
    try {
      const ec2 = await this.clients.ec2();
      const { DescribeNetworkInterfacesCommand } = ec2Sdk();
      const command = new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] });
      output = await retryThrottled(() => ec2.send(command, { abortSignal: signal }), {
        budgetMs: THROTTLE_BUDGET_MS,
        signal,
        what: "looking up the task's public IP",
      });
    } catch (err) {
      if (err instanceof DriverError) throw err;
      throw new DriverError("task_address_missing", `describing network interface ${eni}: ${errorText(err)}`, "system", {
        cause: err,
      });
    }
    const ip = output.NetworkInterfaces?.[0]?.Association?.PublicIp;
    if (!ip) {
      throw new DriverError(
        "task_address_missing",
        `network interface ${eni} has no public IP: set EnablePublicIP, or UsePublicIP = false to connect over the private IP`,
      );
    }
    return ip;
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    try {
      const input = { cluster: this.cluster, task: taskArn, reason: reason.slice(0, 255) };
      // No signal: a cancelled job is exactly when the task must still be stopped.
      await retryThrottled(() => this.clients.ecs.send(new StopTaskCommand(input)), { budgetMs: THROTTLE_BUDGET_MS, what: "stopping the task" });
    } catch (err) {
      // Stopping a task ECS no longer knows is what we wanted anyway.
      if ((err as Error).name === "InvalidParameterException" && /not found|does not exist/i.test((err as Error).message)) return;
      throw new DriverError("task_stop_failed", errorText(err), "system", { cause: err });
    }
  }

  async describeStop(taskArn: string, signal?: AbortSignal): Promise<string | undefined> {
    const task = await retryThrottled(() => this.describe(taskArn, signal), { budgetMs: THROTTLE_BUDGET_MS, signal, what: "asking ECS about the task" });
    if (!task) return `task ${taskIdOf(taskArn)} is unknown to ECS (MISSING)`;
    if (!isStopping(task) && task.desiredStatus !== "STOPPED") return undefined;
    return `task ${taskIdOf(taskArn)} is ${task.lastStatus ?? "stopping"}: ${describeStopReason(task)}`;
  }

  close(): void {
    this.clients.destroy();
  }

  private async describe(taskArn: string, signal?: AbortSignal): Promise<Task | undefined> {
    const output = await this.clients.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: [taskArn] }), {
      abortSignal: signal,
    });
    return output.tasks?.find((t) => t.taskArn === taskArn) ?? output.tasks?.[0];
  }
}

/** Builds the ECS-backed runtime for a cluster and region. */
export function createTaskRuntime(cluster: string, region: string | undefined): TaskRuntime {
  return new EcsTaskRuntime(createAwsClients({ region }), cluster);
}
