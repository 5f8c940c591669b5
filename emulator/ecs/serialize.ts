// Model -> ECS JSON shapes, with the fields real AWS returns that clients rely on.
import type { Cluster, Task, TaskDefinition } from "../model/types.js";
import type { RegionWorld } from "../model/world.js";
import { epochSeconds } from "../model/ids.js";

/** A cluster as DescribeClusters/CreateCluster return it. */
export function clusterToWire(world: RegionWorld, c: Cluster, include: string[] = []): Record<string, unknown> {
  const tasks = [...world.tasks.values()].filter((t) => t.cluster === c && t.lastStatus !== "STOPPED");
  const running = tasks.filter((t) => t.lastStatus === "RUNNING").length;
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: "ACTIVE",
    registeredContainerInstancesCount: 0,
    runningTasksCount: running,
    pendingTasksCount: tasks.length - running,
    activeServicesCount: 0,
    statistics: [],
    tags: include.includes("TAGS") ? c.tags : [],
    settings: c.settings,
    capacityProviders: c.capacityProviders,
    defaultCapacityProviderStrategy: c.defaultStrategy,
    ...(c.capacityProviders.length > 0 ? { attachmentsStatus: "UPDATE_COMPLETE" } : {}),
  };
}

/** A task definition as DescribeTaskDefinition/RegisterTaskDefinition return it. */
export function taskDefinitionToWire(d: TaskDefinition): Record<string, unknown> {
  const fargate = d.requiresCompatibilities.includes("FARGATE");
  return {
    ...d.extra,
    taskDefinitionArn: d.arn,
    family: d.family,
    revision: d.revision,
    status: d.status,
    containerDefinitions: d.containerDefinitions.map((c) => ({
      cpu: 0,
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      essential: true,
      ...c,
      portMappings: (c.portMappings ?? []).map((p) => ({ hostPort: p.containerPort, protocol: "tcp", ...p })),
    })),
    networkMode: d.networkMode,
    volumes: d.extra.volumes ?? [],
    placementConstraints: d.extra.placementConstraints ?? [],
    requiresAttributes: fargate ? [{ name: "com.amazonaws.ecs.capability.docker-remote-api.1.18" }, { name: "ecs.capability.task-eni" }] : [],
    compatibilities: fargate ? ["EC2", "FARGATE"] : ["EC2"],
    requiresCompatibilities: d.requiresCompatibilities,
    ...(d.cpu !== undefined ? { cpu: d.cpu } : {}),
    ...(d.memory !== undefined ? { memory: d.memory } : {}),
    registeredAt: epochSeconds(d.registeredAt),
    registeredBy: "arn:aws:iam::123456789012:user/emulator",
    ...(d.deregisteredAt !== undefined ? { deregisteredAt: epochSeconds(d.deregisteredAt) } : {}),
  };
}

/** A task as RunTask/DescribeTasks/StopTask return it. */
export function taskToWire(t: Task, includeTags: boolean): Record<string, unknown> {
  const eni = t.eni;
  const attached = eni.status !== "PRECREATED";
  const details = [{ name: "subnetId", value: eni.subnetId }];
  if (attached) {
    details.push(
      { name: "networkInterfaceId", value: eni.id },
      { name: "macAddress", value: eni.macAddress },
      { name: "privateDnsName", value: eni.privateDnsName },
      { name: "privateIPv4Address", value: eni.privateIp },
    );
  }
  const containerOverrides = ((t.overrides.containerOverrides ?? []) as Array<{ name?: string }>).slice();
  for (const c of t.containers) if (!containerOverrides.some((o) => o.name === c.name)) containerOverrides.push({ name: c.name });
  return {
    attachments: [{ id: eni.attachmentId, type: "ElasticNetworkInterface", status: eni.status, details }],
    attributes: [{ name: "ecs.cpu-architecture", value: "x86_64" }],
    availabilityZone: eni.availabilityZone,
    ...(t.capacityProviderName ? { capacityProviderName: t.capacityProviderName } : {}),
    clusterArn: t.cluster.arn,
    ...(t.connectivityAt !== undefined ? { connectivity: "CONNECTED", connectivityAt: epochSeconds(t.connectivityAt) } : {}),
    containers: t.containers.map((c) => ({
      containerArn: c.containerArn,
      taskArn: t.arn,
      name: c.name,
      image: c.image,
      ...(t.startedAt !== undefined ? { runtimeId: c.runtimeId } : {}),
      lastStatus: c.lastStatus,
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      networkBindings: [],
      networkInterfaces: attached ? [{ attachmentId: eni.attachmentId, privateIpv4Address: eni.privateIp }] : [],
      healthStatus: "UNKNOWN",
      cpu: String(c.cpu ?? 0),
      ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
    })),
    cpu: t.cpu,
    memory: t.memory,
    createdAt: epochSeconds(t.createdAt),
    desiredStatus: t.desiredStatus,
    enableExecuteCommand: t.enableExecuteCommand,
    ephemeralStorage: { sizeInGiB: 20 },
    group: t.group,
    healthStatus: "UNKNOWN",
    lastStatus: t.lastStatus,
    launchType: t.launchType,
    overrides: { inferenceAcceleratorOverrides: [], ...t.overrides, containerOverrides },
    platformVersion: t.platformVersion,
    platformFamily: "Linux",
    ...(t.pullStartedAt !== undefined ? { pullStartedAt: epochSeconds(t.pullStartedAt) } : {}),
    ...(t.pullStoppedAt !== undefined ? { pullStoppedAt: epochSeconds(t.pullStoppedAt) } : {}),
    ...(t.startedAt !== undefined ? { startedAt: epochSeconds(t.startedAt) } : {}),
    ...(t.startedBy !== undefined ? { startedBy: t.startedBy } : {}),
    ...(t.stopCode !== undefined ? { stopCode: t.stopCode } : {}),
    ...(t.stoppedReason !== undefined ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.stoppingAt !== undefined ? { stoppingAt: epochSeconds(t.stoppingAt) } : {}),
    ...(t.executionStoppedAt !== undefined ? { executionStoppedAt: epochSeconds(t.executionStoppedAt) } : {}),
    ...(t.stoppedAt !== undefined ? { stoppedAt: epochSeconds(t.stoppedAt) } : {}),
    tags: includeTags ? t.tags : [],
    taskArn: t.arn,
    taskDefinitionArn: t.taskDefinition.arn,
    version: t.version,
  };
}
