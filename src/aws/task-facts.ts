// Reading what matters out of ECS's task shapes: status, why it stopped, where it listens.
// Pure functions over the SDK's types, so the unit tests need no network.
import type { Failure, Task } from "@aws-sdk/client-ecs";

/** The statuses after which a task never becomes RUNNING again. */
const STOPPING_STATUSES = new Set(["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]);

/** The part of an ARN after its last "/": the task id, short enough for log lines. */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf("/") + 1);
}

/** True once the task is on its way out (or out): it will not run the job. */
export function isStopping(task: Task): boolean {
  return STOPPING_STATUSES.has(task.lastStatus ?? "") || (task.desiredStatus === "STOPPED" && task.stopCode !== undefined);
}

/** Why a task stopped, in one line: stop code, stopped reason, then each container's reason and exit code. */
export function describeStopReason(task: Task): string {
  const parts: string[] = [];
  const head = [task.stopCode, task.stoppedReason].filter((s) => s).join(": ");
  parts.push(head || `task is ${task.lastStatus ?? "stopping"}`);
  for (const container of task.containers ?? []) {
    const bits: string[] = [];
    if (container.reason) bits.push(container.reason);
    if (container.exitCode !== undefined && container.exitCode !== null) bits.push(`exit code ${container.exitCode}`);
    if (bits.length > 0) parts.push(`container ${container.name ?? "?"}: ${bits.join(", ")}`);
  }
  return parts.join("; ");
}

/** One RunTask/DescribeTasks failure entry as text: `<reason> (<detail>)`. */
export function formatFailure(failure: Failure): string {
  const reason = failure.reason ?? "unknown failure";
  return failure.detail ? `${reason} (${failure.detail})` : reason;
}

/** True for the RunTask failures another subnet (another availability zone) might not have. */
export function isCapacityFailure(failure: Failure): boolean {
  return /capacity|RESOURCE:ENI|IP address|insufficient/i.test(`${failure.reason ?? ""} ${failure.detail ?? ""}`);
}

function eniDetail(task: Task, name: string): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== "ElasticNetworkInterface") continue;
    const value = attachment.details?.find((d) => d.name === name)?.value;
    if (value) return value;
  }
  return undefined;
}

/** The task's private IPv4 address: the ENI attachment's detail, else a container's network interface. */
export function privateAddressOf(task: Task): string | undefined {
  const fromEni = eniDetail(task, "privateIPv4Address");
  if (fromEni) return fromEni;
  for (const container of task.containers ?? []) {
    const ip = container.networkInterfaces?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
    if (ip) return ip;
  }
  return undefined;
}

/** The id of the task's ENI (for the public IP lookup through EC2). */
export function networkInterfaceIdOf(task: Task): string | undefined {
  return eniDetail(task, "networkInterfaceId");
}
