// The ECS operations the emulator speaks, by X-Amz-Target operation name.
import type { EcsOperation } from "../api-context.js";
import { createCluster, describeClusters } from "./clusters.js";
import { runTask } from "./run-task.js";
import { listTagsForResource, tagResource, untagResource } from "./tags.js";
import { deregisterTaskDefinition, describeTaskDefinition, listTaskDefinitions, registerTaskDefinition } from "./task-definitions.js";
import { describeTasks, listTasks, stopTask } from "./tasks.js";

/** Operation name -> handler. */
export const ecsOperations: Record<string, EcsOperation> = {
  CreateCluster: createCluster,
  DescribeClusters: describeClusters,
  RegisterTaskDefinition: registerTaskDefinition,
  DescribeTaskDefinition: describeTaskDefinition,
  DeregisterTaskDefinition: deregisterTaskDefinition,
  ListTaskDefinitions: listTaskDefinitions,
  RunTask: runTask,
  DescribeTasks: describeTasks,
  StopTask: stopTask,
  ListTasks: listTasks,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
};
