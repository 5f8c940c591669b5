// The task inventory port for `fargate gc`: list a runner's tasks, describe tasks with their tags,
// stop one. Separate from the job's TaskRuntime because gc works across jobs, outside any job.
import type { Task } from "@aws-sdk/client-ecs";
import { DriverError } from "../errors.js";
import { retryThrottled, THROTTLE_BUDGET_MS } from "./backoff.js";
import { createAwsClients, type AwsClients } from "./clients.js";
import { ecsSdk } from "./sdk.js";

const { DescribeTasksCommand, ListTasksCommand, StopTaskCommand } = ecsSdk();

/** What gc needs to know about one task. */
export interface InventoryTask {
  arn: string;
  startedBy: string | undefined;
  /** Tag key → value (DescribeTasks with include TAGS). */
  tags: Record<string, string>;
  createdAt: Date | undefined;
  lastStatus: string | undefined;
  desiredStatus: string | undefined;
}

// Beyond the SDK's few quick attempts: a throttling burst is ridden out with jittered backoff (as the
// stages do); gc's signal (SIGTERM, SIGINT) ends the pauses.
function throttled<T>(call: () => Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  return retryThrottled(call, { budgetMs: THROTTLE_BUDGET_MS, signal, what });
}

/** One cluster's tasks, as gc sees them. */
export interface TaskInventory {
  /** Every task ECS still wants RUNNING (PROVISIONING/PENDING/RUNNING...) that was started with this startedBy. */
  listStartedBy(startedBy: string, signal?: AbortSignal): Promise<InventoryTask[]>;
  /** The named tasks (with tags); unknown ones are simply absent. */
  describe(arns: string[], signal?: AbortSignal): Promise<InventoryTask[]>;
  /** StopTask with a reason; a task ECS no longer knows is fine. The signal ends throttling pauses only. */
  stop(arn: string, reason: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

// DescribeTasks accepts at most 100 tasks per call; ListTasks returns at most 100 per page.
const BATCH = 100;

function errorText(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

function toInventoryTask(task: Task): InventoryTask | undefined {
  if (!task.taskArn) return undefined;
  const tags: Record<string, string> = {};
  for (const tag of task.tags ?? []) if (tag.key !== undefined) tags[tag.key] = tag.value ?? "";
  return {
    arn: task.taskArn,
    startedBy: task.startedBy,
    tags,
    createdAt: task.createdAt,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
  };
}

/** TaskInventory over ECS for one cluster. */
export class EcsTaskInventory implements TaskInventory {
  constructor(
    private readonly clients: AwsClients,
    private readonly cluster: string,
  ) {}

  async listStartedBy(startedBy: string, signal?: AbortSignal): Promise<InventoryTask[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      let output;
      try {
        // desiredStatus is left at its default (RUNNING, which covers PROVISIONING and PENDING):
        // AWS documents startedBy as the only filter a ListTasks call may use besides the cluster.
        const command = new ListTasksCommand({ cluster: this.cluster, startedBy, maxResults: BATCH, nextToken });
        output = await throttled(() => this.clients.ecs.send(command, { abortSignal: signal }), signal, "listing the runner's tasks");
      } catch (err) {
        if (err instanceof DriverError) throw err;
        throw new DriverError("aws_failed", `listing the tasks of cluster "${this.cluster}" started by "${startedBy}": ${errorText(err)}`, "system", {
          cause: err,
        });
      }
      arns.push(...(output.taskArns ?? []));
      nextToken = output.nextToken;
    } while (nextToken);
    return this.describe([...new Set(arns)], signal);
  }

  async describe(arns: string[], signal?: AbortSignal): Promise<InventoryTask[]> {
    const found: InventoryTask[] = [];
    for (let i = 0; i < arns.length; i += BATCH) {
      let output;
      try {
        const command = new DescribeTasksCommand({ cluster: this.cluster, tasks: arns.slice(i, i + BATCH), include: ["TAGS"] });
        output = await throttled(() => this.clients.ecs.send(command, { abortSignal: signal }), signal, "describing the runner's tasks");
      } catch (err) {
        if (err instanceof DriverError) throw err;
        throw new DriverError("aws_failed", `describing tasks of cluster "${this.cluster}": ${errorText(err)}`, "system", { cause: err });
      }
      for (const task of output.tasks ?? []) {
        const item = toInventoryTask(task);
        if (item) found.push(item);
      }
    }
    return found;
  }

  async stop(arn: string, reason: string, signal?: AbortSignal): Promise<void> {
    try {
      // No abortSignal on the call itself: a StopTask once sent should be let finish.
      const command = new StopTaskCommand({ cluster: this.cluster, task: arn, reason: reason.slice(0, 255) });
      await throttled(() => this.clients.ecs.send(command), signal, "stopping a task");
    } catch (err) {
      if (err instanceof DriverError) throw err;
      // Stopping a task ECS no longer knows is what we wanted anyway.
      if ((err as Error).name === "InvalidParameterException" && /not found|does not exist/i.test((err as Error).message)) return;
      throw new DriverError("task_stop_failed", `stopping Fargate Task "${arn}": ${errorText(err)}`, "system", { cause: err });
    }
  }

  close(): void {
    this.clients.destroy();
  }
}

/** Builds the ECS-backed inventory for a cluster and region (clients from aws/clients.ts). */
export function createTaskInventory(cluster: string, region: string | undefined): TaskInventory {
  return new EcsTaskInventory(createAwsClients({ region }), cluster);
}
