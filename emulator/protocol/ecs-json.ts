// The ECS JSON 1.1 protocol: `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`, JSON body in,
// JSON out; errors as status + {"__type", "message"}.
import { AwsError } from "../errors.js";

/** The target prefix every ECS request carries. */
export const ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113.";

/** The operation name of an X-Amz-Target header, or an AwsError for a foreign one. */
export function ecsOperationName(target: string): string {
  if (!target.startsWith(ecsTargetPrefix)) throw new AwsError("UnknownOperationException", `Unknown target: ${target}`);
  return target.slice(ecsTargetPrefix.length);
}

/** Parses the JSON body ({} when empty). */
export function parseEcsBody(body: string): Record<string, unknown> {
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsError("SerializationException", "Start of structure or map found where not expected.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new AwsError("SerializationException", "Start of structure or map found where not expected.");
  return parsed as Record<string, unknown>;
}

/** The JSON body of an ECS error. */
export function ecsErrorBody(error: AwsError): string {
  return JSON.stringify({ __type: error.code, message: error.message, ...error.extra });
}
