// The emulated resources, in the model's own words. Wire shapes live in ecs/ and ec2/.
import type { RunningContainer } from "../containers/types.js";

/** An ECS key/value tag. */
export interface Tag {
  key: string;
  value: string;
}

/** One item of a capacity provider strategy. */
export interface StrategyItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

/** An ECS cluster. */
export interface Cluster {
  arn: string;
  name: string;
  capacityProviders: string[];
  defaultStrategy: StrategyItem[];
  settings: Array<{ name: string; value: string }>;
  tags: Tag[];
}

/** A container definition as registered (the fields the model reads; the rest is echoed back). */
export interface ContainerDefinition {
  name: string;
  image: string;
  essential?: boolean;
  portMappings?: Array<{ containerPort?: number; hostPort?: number; protocol?: string }>;
  environment?: Array<{ name: string; value: string }>;
  stopTimeout?: number;
  cpu?: number;
  memory?: number;
  [field: string]: unknown;
}

/** A task definition revision. */
export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status: "ACTIVE" | "INACTIVE";
  containerDefinitions: ContainerDefinition[];
  networkMode: string;
  requiresCompatibilities: string[];
  cpu: string | undefined;
  memory: string | undefined;
  registeredAt: number;
  deregisteredAt?: number;
  /** Every other registered field, echoed back by DescribeTaskDefinition. */
  extra: Record<string, unknown>;
  tags: Tag[];
}

/** An EC2 subnet (loopback CIDR). */
export interface Subnet {
  id: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
  mapPublicIpOnLaunch: boolean;
  tags: Tag[];
}

/** An EC2 security group. */
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  tags: Tag[];
}

/** ECS task lastStatus values, in lifecycle order. */
export const taskStatuses = [
  "PROVISIONING",
  "PENDING",
  "ACTIVATING",
  "RUNNING",
  "DEACTIVATING",
  "STOPPING",
  "DEPROVISIONING",
  "STOPPED",
] as const;

/** One ECS task lastStatus. */
export type TaskStatus = (typeof taskStatuses)[number];

/** The task's elastic network interface (awsvpc). */
export interface NetworkInterface {
  id: string;
  attachmentId: string;
  status: "PRECREATED" | "ATTACHED" | "DETACHED";
  macAddress: string;
  privateIp: string;
  privateDnsName: string;
  publicIp: string | undefined;
  subnetId: string;
  securityGroups: string[];
  vpcId: string;
  availabilityZone: string;
  attachedAt?: number;
}

/** One container of a task. */
export interface TaskContainer {
  name: string;
  image: string;
  containerArn: string;
  runtimeId: string;
  essential: boolean;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  cpu?: number;
  memory?: number;
}

/** Per-task fault decisions taken at RunTask time. */
export interface TaskFaults {
  failToStart?: { stoppedReason: string };
  stopWhenRunning?: { afterMs: number; stopCode: string; stoppedReason: string };
}

/** An ECS task and the emulator's private state for it. */
export interface Task {
  id: string;
  arn: string;
  region: string;
  cluster: Cluster;
  taskDefinition: TaskDefinition;
  launchType: "FARGATE";
  capacityProviderName: string | undefined;
  platformVersion: string;
  startedBy: string | undefined;
  group: string;
  overrides: Record<string, unknown>;
  cpu: string;
  memory: string;
  eni: NetworkInterface;
  lastStatus: TaskStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  version: number;
  createdAt: number;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  containers: TaskContainer[];
  tags: Tag[];
  enableExecuteCommand: boolean;
  /** The ci-coordinator (first essential container with a port mapping) index in containers. */
  mainContainer: number;
  port: number;
  authorizedKey: string | undefined;
  stopTimeoutMs: number;
  workDir: string;
  faults: TaskFaults;
  running?: RunningContainer;
  sshRunning: boolean;
  /** Wall-clock epoch ms of every lifecycle event (for /_emulator/tasks). */
  timings: Record<string, number>;
}
