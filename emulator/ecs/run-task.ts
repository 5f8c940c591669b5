// RunTask: validated the way ECS validates it, then one task per count created in PROVISIONING.
import type { ApiContext, EcsOperation } from "../api-context.js";
import { AwsError, clientException, invalidParameter } from "../errors.js";
import { isFargateSize, noFargateConfiguration, parseCpu, parseMemory } from "../model/cpu-memory.js";
import { uuid } from "../model/ids.js";
import { createTask, type NewTask } from "../model/tasks.js";
import { faultContext } from "../model/task-engine.js";
import type { Cluster, StrategyItem, Subnet } from "../model/types.js";
import type { FaultContext } from "../faults.js";
import { parseStrategy } from "./clusters.js";
import { mergeTags, optInt, optObject, optString, optStrings, optTags, reqString } from "./input.js";
import { taskToWire } from "./serialize.js";

const providerCursor = new WeakMap<Cluster, number>();

/** Picks the provider for the next task of a strategy: base first, then weighted round-robin. */
function pickProvider(ctx: ApiContext, cluster: Cluster, strategy: StrategyItem[], pickedThisCall: Array<string | undefined>): string {
  const live = [...ctx.world.tasks.values()].filter((t) => t.cluster === cluster && t.desiredStatus === "RUNNING");
  for (const s of strategy) {
    const using = live.filter((t) => t.capacityProviderName === s.capacityProvider).length + pickedThisCall.filter((p) => p === s.capacityProvider).length;
    if ((s.base ?? 0) > using) return s.capacityProvider;
  }
  const cycle = strategy.flatMap((s) => Array<string>(s.weight ?? 0).fill(s.capacityProvider));
  if (cycle.length === 0) return strategy[0]!.capacityProvider;
  const n = providerCursor.get(cluster) ?? 0;
  providerCursor.set(cluster, n + 1);
  return cycle[n % cycle.length]!;
}

function subnetNotFound(ids: string[]): AwsError {
  return invalidParameter(
    `Error retrieving subnet information for [${ids.join(", ")}]: The subnet ID '${ids.join(",")}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound; Request ID: ${uuid()}; Proxy: null)`,
  );
}

function groupNotFound(ids: string[]): AwsError {
  return invalidParameter(
    `Error retrieving security group information for [${ids.join(", ")}]: The security group '${ids.join(",")}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidGroup.NotFound; Request ID: ${uuid()}; Proxy: null)`,
  );
}

/** RunTask, idempotent per clientToken as on AWS (the SDKs send one and reuse it on retries). */
export const runTask: EcsOperation = async (ctx, input) => {
  const token = optString(input, "clientToken");
  if (token === undefined) return startTasks(ctx, input);
  if (token.length > 64) throw invalidParameter("clientToken must be at most 64 characters.");
  const { clientToken: _, ...rest } = input;
  const request = JSON.stringify(rest);
  const seen = ctx.world.runTaskTokens.get(token);
  if (seen) {
    const tasks = seen.taskIds.flatMap((id) => {
      const t = ctx.world.tasks.get(id);
      return t ? [taskToWire(t, true)] : [];
    });
    if (seen.request !== request) {
      throw new AwsError("ConflictException", "The specified clientToken is already in use with a different RunTask request.", 400, { resourceIds: tasks.map((t) => t.taskArn) });
    }
    return { tasks, failures: seen.failures };
  }
  const out = await startTasks(ctx, input);
  if (ctx.world.runTaskTokens.size >= 10_000) ctx.world.runTaskTokens.delete(ctx.world.runTaskTokens.keys().next().value!);
  ctx.world.runTaskTokens.set(token, { request, taskIds: out.tasks.map((t) => String(t.taskArn).split("/").pop()!), failures: out.failures });
  return out;
};

async function startTasks(ctx: ApiContext, input: Record<string, unknown>): Promise<{ tasks: Array<Record<string, unknown>>; failures: unknown[] }> {
  const { world, emulator } = ctx;
  const count = optInt(input, "count") ?? 1;
  if (count < 1 || count > 10) throw invalidParameter("Count must be between 1 and 10.");
  const cluster = world.cluster(optString(input, "cluster"));
  const definition = world.taskDefinition(reqString(input, "taskDefinition"));
  if (!definition) throw clientException("TaskDefinition not found.");
  if (definition.status !== "ACTIVE") throw clientException("TaskDefinition is inactive");

  const launchType = optString(input, "launchType");
  const requested = parseStrategy(input.capacityProviderStrategy);
  if (launchType !== undefined && requested !== undefined) {
    throw invalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.");
  }
  let strategy: StrategyItem[] | undefined;
  if (requested !== undefined) {
    if (requested.length === 0) throw invalidParameter("The capacity provider strategy cannot be empty.");
    for (const s of requested) {
      if (!cluster.capacityProviders.includes(s.capacityProvider)) {
        throw invalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.");
      }
    }
    strategy = requested;
  } else if (launchType === undefined) {
    if (cluster.defaultStrategy.length === 0) throw invalidParameter("No Container Instances were found in your cluster.");
    strategy = cluster.defaultStrategy;
  } else if (launchType !== "FARGATE") {
    if (!["EC2", "EXTERNAL", "MANAGED_INSTANCES"].includes(launchType)) throw invalidParameter(`Invalid launch type: ${launchType}`);
    throw invalidParameter("No Container Instances were found in your cluster.");
  }
  if (!definition.requiresCompatibilities.includes("FARGATE")) throw clientException("Task definition does not support launch_type FARGATE.");

  const platformVersion = optString(input, "platformVersion") ?? "LATEST";
  if (!["LATEST", "1.4.0", "1.3.0"].includes(platformVersion)) throw invalidParameter("The specified platform version does not exist.");

  const network = optObject(input, "networkConfiguration");
  const vpc = network && optObject(network, "awsvpcConfiguration");
  if (definition.networkMode === "awsvpc" && !vpc) {
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  const subnetIds = (vpc && optStrings(vpc, "subnets")) ?? [];
  if (subnetIds.length === 0) throw invalidParameter("subnets can not be empty.");
  if (subnetIds.length > 16) throw invalidParameter("At most 16 subnets can be provided.");
  const missingSubnets = subnetIds.filter((s) => !world.subnets.has(s));
  if (missingSubnets.length > 0) throw subnetNotFound(missingSubnets);
  const groups = (vpc && optStrings(vpc, "securityGroups")) ?? [];
  if (groups.length > 5) throw invalidParameter("At most 5 security groups can be provided.");
  const missingGroups = groups.filter((g) => !world.securityGroups.has(g));
  if (missingGroups.length > 0) throw groupNotFound(missingGroups);
  const assign = (vpc && optString(vpc, "assignPublicIp")) ?? "DISABLED";
  if (assign !== "ENABLED" && assign !== "DISABLED") throw invalidParameter(`assignPublicIp must be ENABLED or DISABLED, got ${assign}.`);
  const subnets = subnetIds.map((s) => world.subnets.get(s)!);
  const vpcs = new Set(subnets.map((s) => s.vpcId));
  if (vpcs.size > 1) throw invalidParameter("Subnets must all belong to the same VPC.");

  const overrides = optObject(input, "overrides") ?? {};
  const containerOverrides = overrides.containerOverrides ?? [];
  if (!Array.isArray(containerOverrides)) throw new AwsError("SerializationException", "Unexpected value for member containerOverrides");
  for (const o of containerOverrides as Array<{ name?: unknown }>) {
    if (!definition.containerDefinitions.some((c) => c.name === o?.name)) {
      throw invalidParameter(`Override for container named ${String(o?.name)} is not a container in the TaskDefinition.`);
    }
  }
  const cpu = overrides.cpu === undefined ? definition.cpu! : String(overrides.cpu);
  const memory = overrides.memory === undefined ? definition.memory! : String(overrides.memory);
  const cpuUnits = parseCpu(cpu);
  const mib = parseMemory(memory);
  if (cpuUnits === undefined || mib === undefined || !isFargateSize(cpuUnits, mib)) throw invalidParameter(noFargateConfiguration(cpu, memory));

  const startedBy = optString(input, "startedBy");
  if (startedBy !== undefined && startedBy.length > 128) throw invalidParameter("startedBy must be at most 128 characters.");
  const group = optString(input, "group") ?? `family:${definition.family}`;
  let tags = optTags(input) ?? [];
  const propagate = optString(input, "propagateTags");
  if (propagate === "TASK_DEFINITION") tags = mergeTags(definition.tags, tags);
  if (tags.length > 50) throw invalidParameter("Too many tags: at most 50 are allowed.");

  // Fargate's launch rate is counted separately for On-Demand and Spot.
  const providers: Array<string | undefined> = [];
  for (let i = 0; i < count; i++) providers.push(strategy ? pickProvider(ctx, cluster, strategy, providers) : undefined);
  const spot = providers.filter((p) => p === "FARGATE_SPOT").length;
  if (!emulator.throttle.takeAll(ctx.region, [["launches", count - spot], ["spotLaunches", spot]])) throw new AwsError("ThrottlingException", "Rate exceeded");

  // createTask awaits address probes: a reset or shutdown starting meanwhile waits for these tasks.
  return emulator.launching(async () => {
    const tasks = [];
    const failures = [];
    for (let i = 0; i < count; i++) {
      const capacityProviderName = providers[i];
      const base: FaultContext = {
        region: ctx.region,
        cluster: cluster.name,
        family: definition.family,
        group,
        ...(capacityProviderName ? { capacityProvider: capacityProviderName } : {}),
        ...(startedBy ? { startedBy } : {}),
      };
      // Like Fargate across AZs: the first listed subnet without a capacity failure takes the task.
      const subnet: Subnet | undefined = subnets.find((s) => !emulator.faults.peekFailure({ ...base, subnet: s.id }));
      if (!subnet) {
        const rule = emulator.faults.peekFailure({ ...base, subnet: subnets[0]!.id })!;
        emulator.faults.consume(rule);
        failures.push({ reason: rule.failure, ...(rule.detail ? { detail: rule.detail } : {}) });
        continue;
      }
      const spec: NewTask = {
        region: ctx.region,
        cluster,
        definition,
        capacityProviderName,
        subnet,
        securityGroups: groups,
        assignPublicIp: assign === "ENABLED",
        startedBy,
        group,
        overrides: structuredClone(overrides),
        cpu: String(cpuUnits),
        memory: String(mib),
        tags,
        enableExecuteCommand: input.enableExecuteCommand === true,
        faults: {},
      };
      const task = await createTask(emulator, spec);
      const fctx = faultContext(task);
      const failToStart = emulator.faults.takeFailToStart(fctx);
      if (failToStart) task.faults.failToStart = failToStart;
      else {
        const stop = emulator.faults.takeStopWhenRunning(fctx);
        if (stop) task.faults.stopWhenRunning = stop;
      }
      world.tasks.set(task.id, task);
      emulator.engine.launch(task);
      tasks.push(taskToWire(task, true));
    }
    return { tasks, failures };
  });
}
