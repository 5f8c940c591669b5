// The task runtime port in the driver's own words, and its ECS/EC2 adapter. Stages talk to
// TaskRuntime; only this file knows SDK commands.
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DriverError } from "../errors.js";
import { createAwsClients, type AwsClients } from "./clients.js";
import { nextPollDelay, isThrottling, POLL_INTERVAL_MS, seconds } from "./polling.js";
import { buildRunTaskInput, type StartTaskRequest } from "./run-task-input.js";
import {
  describeStopReason,
  formatFailure,
  isCapacityFailure,
  isStopping,
  networkInterfaceIdOf,
  privateAddressOf,
  taskIdOf,
} from "./task-facts.js";

/** What starting a task needs beyond one subnet: the subnets to try in turn. */
export type StartTaskOptions = Omit<StartTaskRequest, "subnet"> & { subnets: string[] };

/** How to wait for RUNNING. */
export interface WaitOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Called on every status change with the time since waiting began. */
  onStatus?: (status: string, elapsedMs: number) => void;
}

/** The task runtime: start, wait, locate, stop and explain a job's task. */
export interface TaskRuntime {
  /** Starts loading what resolveAddress(…, true) needs, so it overlaps the wait for RUNNING. */
  preparePublicAddressLookup(): void;
  /** RunTask, trying the subnets in turn on capacity failures; never aborted mid-flight. Returns the task ARN. */
  runTask(options: StartTaskOptions): Promise<string>;
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

  async runTask(options: StartTaskOptions): Promise<string> {
    const { subnets, ...rest } = options;
    let lastFailure = "no subnet configured";
    for (const subnet of subnets) {
      let output;
      try {
        // No abortSignal on purpose: an aborted RunTask may still have created a task we could not stop.
        // The client token makes the SDK's retries of this one call idempotent (no second task).
        const input = { ...buildRunTaskInput({ ...rest, subnet }), clientToken: randomUUID() };
        output = await this.clients.ecs.send(new RunTaskCommand(input));
      } catch (err) {
        throw new DriverError("task_start_failed", `error starting AWS Fargate Task: ${errorText(err)}`, "system", {
          cause: err,
        });
      }
      const arn = output.tasks?.[0]?.taskArn;
      if (arn) return arn;
      const failures = output.failures ?? [];
      lastFailure = failures.map(formatFailure).join("; ") || "RunTask returned no task and no failure";
      if (!failures.some(isCapacityFailure)) break;
    }
    throw new DriverError("task_start_failed", `error starting AWS Fargate Task: ${lastFailure}`);
  }

  async waitUntilRunning(taskArn: string, options: WaitOptions): Promise<Task> {
    const started = Date.now();
    let delay = POLL_INTERVAL_MS;
    let lastStatus = "";
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
      await sleep(Math.min(delay, Math.max(options.timeoutMs - (Date.now() - started), 0)), undefined, {
        signal: options.signal,
      }).catch(() => undefined); // an abort is handled at the top of the loop
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
      const { DescribeNetworkInterfacesCommand } = await import("@aws-sdk/client-ec2");
      output = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }), { abortSignal: signal });
    } catch (err) {
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
      await this.clients.ecs.send(new StopTaskCommand({ cluster: this.cluster, task: taskArn, reason: reason.slice(0, 255) }));
    } catch (err) {
      // Stopping a task ECS no longer knows is what we wanted anyway.
      if ((err as Error).name === "InvalidParameterException" && /not found|does not exist/i.test((err as Error).message)) return;
      throw new DriverError("task_stop_failed", errorText(err), "system", { cause: err });
    }
  }

  async describeStop(taskArn: string, signal?: AbortSignal): Promise<string | undefined> {
    const task = await this.describe(taskArn, signal);
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
