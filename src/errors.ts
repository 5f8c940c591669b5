// Every failure the driver reports is a DriverError: a stable code, a message in the Go driver's
// "doing what: cause" chain style, and the failure class that decides the exit code.

/** Which exit code a failure maps to: the job's script failed (build) or the infrastructure did (system). */
export type FailureClass = "build" | "system";

/** A failure with a stable code, a readable message chain and its class; the CLI's one catch maps it. */
export class DriverError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. "config_invalid", "task_start_failed", "script_failed". */
    readonly code: string,
    message: string,
    readonly failureClass: FailureClass = "system",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DriverError";
  }
}

/** The job script exited non-zero: reported as a build failure with the script's own exit code. */
export class ScriptFailedError extends DriverError {
  constructor(readonly exitCode: number) {
    super("script_failed", `script exited with code ${exitCode}`, "build");
  }
}

/** Wraps any error with what was being done, Go style: "doing what: cause". Keeps the class and code. */
export function wrap(doing: string, err: unknown): DriverError {
  if (err instanceof DriverError) {
    const wrapped = new DriverError(err.code, `${doing}: ${err.message}`, err.failureClass, { cause: err });
    return wrapped;
  }
  const cause = err instanceof Error ? err.message : String(err);
  return new DriverError("internal", `${doing}: ${cause}`, "system", { cause: err });
}
