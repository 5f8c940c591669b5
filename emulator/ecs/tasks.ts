// DescribeTasks, StopTask and ListTasks.
import type { EcsOperation } from "../api-context.js";
import { invalidParameter } from "../errors.js";
import { defaultStopReasons } from "../faults.js";
import { ecsArn } from "../model/ids.js";
import { optInt, optString, optStrings, paginate, reqString } from "./input.js";
import { taskToWire } from "./serialize.js";

/** DescribeTasks: unknown tasks come back as MISSING failures. */
export const describeTasks: EcsOperation = ({ world, emulator }, input) => {
  const cluster = world.cluster(optString(input, "cluster"));
  const refs = optStrings(input, "tasks");
  if (!refs || refs.length === 0) throw invalidParameter("Tasks cannot be empty.");
  if (refs.length > 100) throw invalidParameter("Tasks cannot contain more than 100 elements.");
  emulator.engine.purge(world);
  const include = optStrings(input, "include") ?? [];
  const tasks = [];
  const failures = [];
  for (const ref of refs) {
    const task = world.task(ref);
    if (task && task.cluster === cluster) tasks.push(taskToWire(task, include.includes("TAGS")));
    else failures.push({ arn: ref.startsWith("arn:") ? ref : ecsArn(world.region, `task/${cluster.name}/${ref}`), reason: "MISSING" });
  }
  return { tasks, failures };
};

/** StopTask: desiredStatus STOPPED at once, the lifecycle does the rest. */
export const stopTask: EcsOperation = ({ world, emulator }, input) => {
  const cluster = world.cluster(optString(input, "cluster"));
  const ref = reqString(input, "task");
  const reason = optString(input, "reason");
  if (reason !== undefined && reason.length > 255) throw invalidParameter("Reason must be at most 255 characters.");
  emulator.engine.purge(world);
  const task = world.task(ref);
  if (!task || task.cluster !== cluster) throw invalidParameter("The referenced task was not found.");
  emulator.engine.requestStop(task, "UserInitiated", reason || defaultStopReasons.UserInitiated!);
  return { task: taskToWire(task, false) };
};

/** ListTasks: by cluster, family, startedBy, desiredStatus, launchType; paginated. */
export const listTasks: EcsOperation = ({ world, emulator }, input) => {
  const cluster = world.cluster(optString(input, "cluster"));
  const family = optString(input, "family");
  const startedBy = optString(input, "startedBy");
  const desired = optString(input, "desiredStatus") ?? "RUNNING";
  if (!["RUNNING", "PENDING", "STOPPED"].includes(desired)) throw invalidParameter(`Invalid desiredStatus: ${desired}`);
  const launchType = optString(input, "launchType");
  if (optString(input, "serviceName") !== undefined && startedBy !== undefined) {
    throw invalidParameter("Only one of serviceName and startedBy can be specified.");
  }
  if (optString(input, "serviceName") !== undefined) return { taskArns: [] }; // no services here
  emulator.engine.purge(world);
  const arns = [...world.tasks.values()]
    .filter((t) => t.cluster === cluster)
    .filter((t) => family === undefined || t.taskDefinition.family === family)
    .filter((t) => startedBy === undefined || t.startedBy === startedBy)
    .filter((t) => launchType === undefined || t.launchType === launchType)
    // desiredStatus is only ever RUNNING or STOPPED, so the documented PENDING filter matches none.
    .filter((t) => t.desiredStatus === desired)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((t) => t.arn);
  const { page, nextToken } = paginate(arns, optInt(input, "maxResults"), optString(input, "nextToken"));
  return { taskArns: page, ...(nextToken ? { nextToken } : {}) };
};
