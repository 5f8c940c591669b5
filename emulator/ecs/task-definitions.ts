// RegisterTaskDefinition, DescribeTaskDefinition, DeregisterTaskDefinition, ListTaskDefinitions.
import type { EcsOperation } from "../api-context.js";
import { clientException, invalidParameter } from "../errors.js";
import { registerTaskDefinition as register } from "../model/task-definitions.js";
import { paginate, optInt, optString, optStrings, optTags, reqString } from "./input.js";
import { taskDefinitionToWire } from "./serialize.js";

/** RegisterTaskDefinition. */
export const registerTaskDefinition: EcsOperation = ({ world, emulator }, input) => {
  optTags(input);
  const def = register(world, input, emulator.clock.now());
  return { taskDefinition: taskDefinitionToWire(def), tags: def.tags };
};

/** DescribeTaskDefinition (family, family:revision or ARN). */
export const describeTaskDefinition: EcsOperation = ({ world }, input) => {
  const ref = reqString(input, "taskDefinition");
  const def = world.taskDefinition(ref);
  if (!def) throw clientException("Unable to describe task definition.");
  const include = optStrings(input, "include") ?? [];
  return { taskDefinition: taskDefinitionToWire(def), ...(include.includes("TAGS") ? { tags: def.tags } : {}) };
};

/** DeregisterTaskDefinition: the revision becomes INACTIVE (still describable, no new tasks). */
export const deregisterTaskDefinition: EcsOperation = ({ world, emulator }, input) => {
  const ref = reqString(input, "taskDefinition");
  if (!/:\d+$/.test(ref)) throw clientException("Invalid revision number. Number: " + (ref.split(":")[1] ?? ""));
  const def = world.taskDefinition(ref);
  if (!def) throw clientException("The specified task definition does not exist.");
  if (def.status === "ACTIVE") {
    def.status = "INACTIVE";
    def.deregisteredAt = emulator.clock.now();
  }
  return { taskDefinition: taskDefinitionToWire(def) };
};

/** ListTaskDefinitions with familyPrefix, status, sort and pagination. */
export const listTaskDefinitions: EcsOperation = ({ world }, input) => {
  const prefix = optString(input, "familyPrefix");
  const status = optString(input, "status") ?? "ACTIVE";
  const sort = optString(input, "sort") ?? "ASC";
  if (!["ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"].includes(status)) throw invalidParameter(`Invalid status: ${status}`);
  if (!["ASC", "DESC"].includes(sort)) throw invalidParameter(`Invalid sort: ${sort}`);
  const families = [...world.taskDefinitions.keys()].filter((f) => prefix === undefined || f === prefix).sort();
  let arns = families.flatMap((f) => world.taskDefinitions.get(f)!.filter((d) => d.status === status).map((d) => d.arn));
  if (sort === "DESC") arns = arns.reverse();
  const { page, nextToken } = paginate(arns, optInt(input, "maxResults"), optString(input, "nextToken"));
  return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
};
