// AWS errors as the emulator answers them on the wire. The protocol layers turn an AwsError into
// ECS JSON ({"__type","message"}) or EC2 XML (<Response><Errors>...); the model only throws them.

/** An AWS error: its name (ECS __type / EC2 Code), message and HTTP status. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members of the error body (e.g. ConflictException's resourceIds). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** ECS InvalidParameterException (400). */
export function invalidParameter(message: string): AwsError {
  return new AwsError("InvalidParameterException", message);
}

/** ECS ClientException (400). */
export function clientException(message: string): AwsError {
  return new AwsError("ClientException", message);
}

/** ECS ClusterNotFoundException, as AWS words it. */
export function clusterNotFound(): AwsError {
  return new AwsError("ClusterNotFoundException", "Cluster not found.");
}

/** HTTP statuses AWS uses for error names that are not plain 400s (fault rules default to these). */
const knownStatuses: Record<string, number> = {
  ServerException: 500,
  InternalFailure: 500,
  InternalError: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  Unavailable: 503,
  RequestLimitExceeded: 503,
  AccessDeniedException: 400,
  UnauthorizedOperation: 403,
  AuthFailure: 401,
};

/** Default messages for error names commonly injected by fault rules. */
const knownMessages: Record<string, string> = {
  ThrottlingException: "Rate exceeded",
  RequestLimitExceeded: "Request limit exceeded.",
  ServerException: "Service Unavailable. Please try again later.",
  InternalError: "An internal error has occurred",
  InternalFailure: "An internal error has occurred",
  AccessDeniedException: "User is not authorized to perform this action",
  ServiceUnavailable: "Service Unavailable",
  Unavailable: "The server is overloaded and can't handle the request.",
};

/** The HTTP status AWS answers an error name with. */
export function statusForError(code: string): number {
  return knownStatuses[code] ?? 400;
}

/** A sensible message for an injected error name. */
export function messageForError(code: string): string {
  return knownMessages[code] ?? `Injected fault: ${code}`;
}
