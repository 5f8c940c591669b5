// RegisterTaskDefinition's rules for the Fargate subset the emulator supports.
import type { ContainerDefinition, Tag, TaskDefinition } from "./types.js";
import type { RegionWorld } from "./world.js";
import { clientException } from "../errors.js";
import { ecsArn } from "./ids.js";
import { isFargateSize, noFargateConfiguration, parseCpu, parseMemory } from "./cpu-memory.js";

const knownFields = new Set(["family", "containerDefinitions", "networkMode", "requiresCompatibilities", "cpu", "memory", "tags"]);

/** Validates a RegisterTaskDefinition request and stores the next revision of its family. */
export function registerTaskDefinition(world: RegionWorld, input: Record<string, unknown>, now: number): TaskDefinition {
  const family = input.family;
  if (typeof family !== "string" || !/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
    throw clientException("Family contains invalid characters or is too long. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.");
  }
  const containers = input.containerDefinitions;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw clientException("Container list cannot be empty.");
  }
  const names = new Set<string>();
  for (const c of containers as ContainerDefinition[]) {
    if (typeof c?.name !== "string" || c.name === "") throw clientException("Container.name should not be null or empty.");
    if (typeof c.image !== "string" || c.image === "") throw clientException("Container.image should not be null or empty.");
    if (names.has(c.name)) throw clientException(`Container names must be unique within a task definition: ${c.name}`);
    names.add(c.name);
  }
  if (!(containers as ContainerDefinition[]).some((c) => c.essential !== false)) {
    throw clientException("At least one essential container is required in a task definition.");
  }
  const compat = Array.isArray(input.requiresCompatibilities) ? (input.requiresCompatibilities as string[]) : [];
  const networkMode = typeof input.networkMode === "string" ? input.networkMode : compat.includes("FARGATE") ? "" : "bridge";
  const cpu = input.cpu === undefined ? undefined : String(input.cpu);
  const memory = input.memory === undefined ? undefined : String(input.memory);
  if (compat.includes("FARGATE")) {
    if (networkMode !== "awsvpc") throw clientException("Fargate only supports network mode ‘awsvpc’.");
    if (cpu === undefined) throw clientException("Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined) throw clientException("Fargate requires that 'memory' be defined at the task level.");
    const cpuUnits = parseCpu(cpu);
    const mib = parseMemory(memory);
    if (cpuUnits === undefined || mib === undefined || !isFargateSize(cpuUnits, mib)) throw clientException(noFargateConfiguration(cpu, memory));
  }
  const revisions = world.taskDefinitions.get(family) ?? [];
  const revision = revisions.length + 1;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (!knownFields.has(k)) extra[k] = v;
  const def: TaskDefinition = {
    arn: ecsArn(world.region, `task-definition/${family}:${revision}`),
    family,
    revision,
    status: "ACTIVE",
    containerDefinitions: structuredClone(containers as ContainerDefinition[]),
    networkMode: networkMode || "awsvpc",
    requiresCompatibilities: compat,
    cpu: cpu === undefined ? undefined : String(parseCpu(cpu) ?? cpu),
    memory: memory === undefined ? undefined : String(parseMemory(memory) ?? memory),
    registeredAt: now,
    extra,
    tags: Array.isArray(input.tags) ? (structuredClone(input.tags) as Tag[]) : [],
  };
  revisions.push(def);
  world.taskDefinitions.set(family, revisions);
  return def;
}
