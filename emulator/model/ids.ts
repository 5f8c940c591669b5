// Identifiers and ARNs shaped like AWS's.
import { randomBytes, randomUUID } from "node:crypto";

/** The account every emulated region belongs to. */
export const accountId = "123456789012";

/** n random lowercase hex digits. */
export function randomHex(n: number): string {
  return randomBytes(Math.ceil(n / 2)).toString("hex").slice(0, n);
}

/** A random UUID (attachment ids, request ids). */
export function uuid(): string {
  return randomUUID();
}

/** arn:aws:ecs:REGION:ACCOUNT:RESOURCE */
export function ecsArn(region: string, resource: string): string {
  return `arn:aws:ecs:${region}:${accountId}:${resource}`;
}

/** The last path segment of an ARN, or the input itself when it is a short name. */
export function shortName(nameOrArn: string): string {
  if (!nameOrArn.startsWith("arn:")) return nameOrArn;
  const resource = nameOrArn.split(":").slice(5).join(":");
  return resource.slice(resource.lastIndexOf("/") + 1);
}

/** Epoch seconds (ECS JSON timestamps) from epoch milliseconds. */
export function epochSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
