// Building a new task from a validated RunTask request: addresses, ENI, containers, overrides.
import path from "node:path";
import type { Emulator } from "../emulator.js";
import type { Cluster, ContainerDefinition, Subnet, Tag, Task, TaskDefinition, TaskFaults } from "./types.js";
import { ecsArn, randomHex, uuid } from "./ids.js";

/** Everything RunTask decided for one task. */
export interface NewTask {
  region: string;
  cluster: Cluster;
  definition: TaskDefinition;
  capacityProviderName: string | undefined;
  subnet: Subnet;
  securityGroups: string[];
  assignPublicIp: boolean;
  startedBy: string | undefined;
  group: string;
  overrides: Record<string, unknown>;
  cpu: string;
  memory: string;
  tags: Tag[];
  enableExecuteCommand: boolean;
  faults: TaskFaults;
}

interface ContainerOverride {
  name?: string;
  environment?: Array<{ name?: string; value?: string }>;
}

/** The container the emulator runs an SSH server for: ci-coordinator, else the first essential one with a port. */
export function mainContainerIndex(defs: ContainerDefinition[]): number {
  const named = defs.findIndex((c) => c.name === "ci-coordinator");
  if (named >= 0) return named;
  const withPort = defs.findIndex((c) => c.essential !== false && (c.portMappings?.length ?? 0) > 0);
  return withPort >= 0 ? withPort : Math.max(0, defs.findIndex((c) => c.essential !== false));
}

/** A container's environment after RunTask overrides (an override wins over the definition). */
export function effectiveEnvironment(def: ContainerDefinition, overrides: Record<string, unknown>): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of def.environment ?? []) env.set(e.name, e.value);
  const list = (overrides.containerOverrides ?? []) as ContainerOverride[];
  for (const o of list.filter((x) => x.name === def.name)) {
    for (const e of o.environment ?? []) if (e.name !== undefined) env.set(e.name, e.value ?? "");
  }
  return env;
}

/** Allocates addresses and creates the task in PROVISIONING (the engine drives it from there). */
export async function createTask(emu: Emulator, spec: NewTask): Promise<Task> {
  const id = randomHex(32);
  const defs = spec.definition.containerDefinitions;
  const main = mainContainerIndex(defs);
  const mainDef = defs[main]!;
  const port = mainDef.portMappings?.find((p) => p.containerPort !== undefined)?.containerPort ?? 22;
  const addresses = emu.addresses;
  const privateIp = await addresses.allocatePrivate(`${spec.region}/${spec.subnet.id}`, port);
  let publicIp: string | undefined;
  try {
    publicIp = spec.assignPublicIp ? await addresses.allocatePublic(port) : undefined;
  } catch (e) {
    addresses.release(privateIp);
    throw e;
  }
  const arn = ecsArn(spec.region, `task/${spec.cluster.name}/${id}`);
  const now = emu.clock.now();
  const stopTimeoutS = typeof mainDef.stopTimeout === "number" ? mainDef.stopTimeout : emu.durations.stopTimeoutMs / emu.config.timeScale / 1000;
  const task: Task = {
    id,
    arn,
    region: spec.region,
    cluster: spec.cluster,
    taskDefinition: spec.definition,
    launchType: "FARGATE",
    capacityProviderName: spec.capacityProviderName,
    platformVersion: "1.4.0",
    startedBy: spec.startedBy,
    group: spec.group,
    overrides: spec.overrides,
    cpu: spec.cpu,
    memory: spec.memory,
    eni: {
      id: `eni-${randomHex(17)}`,
      attachmentId: uuid(),
      status: "PRECREATED",
      macAddress: ["0a", ...Array.from({ length: 5 }, () => randomHex(2))].join(":"),
      privateIp,
      privateDnsName: `ip-${privateIp.replaceAll(".", "-")}.${spec.region}.compute.internal`,
      publicIp,
      subnetId: spec.subnet.id,
      securityGroups: spec.securityGroups,
      vpcId: spec.subnet.vpcId,
      availabilityZone: spec.subnet.availabilityZone,
    },
    lastStatus: "PROVISIONING",
    desiredStatus: "RUNNING",
    version: 0,
    createdAt: now,
    containers: defs.map((c) => ({
      name: c.name,
      image: c.image,
      containerArn: ecsArn(spec.region, `container/${spec.cluster.name}/${id}/${uuid()}`),
      runtimeId: `${id}-${String(Math.floor(Math.random() * 1e10)).padStart(10, "0")}`,
      essential: c.essential !== false,
      lastStatus: "PENDING",
      ...(typeof c.cpu === "number" ? { cpu: c.cpu } : {}),
      ...(typeof c.memory === "number" ? { memory: c.memory } : {}),
    })),
    tags: spec.tags,
    enableExecuteCommand: spec.enableExecuteCommand,
    mainContainer: main,
    port,
    authorizedKey: effectiveEnvironment(mainDef, spec.overrides).get("SSH_PUBLIC_KEY") || undefined,
    stopTimeoutMs: Math.round(stopTimeoutS * 1000 * emu.config.timeScale),
    workDir: path.join(emu.config.workDir, "tasks", id),
    faults: spec.faults,
    sshRunning: false,
    timings: {},
  };
  return task;
}
