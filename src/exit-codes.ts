// The exit codes GitLab Runner expects, read once from the environment it sets for every stage.
// The CLI's one catch maps failures onto them; nothing else chooses an exit code.
import type { FailureClass } from "./errors.js";

/** BUILD_FAILURE_EXIT_CODE and SYSTEM_FAILURE_EXIT_CODE as set by the runner (1 and 2 in practice). */
export interface ExitCodes {
  build: number;
  system: number;
}

/** Exit code used when the runner's codes are unknown (usage errors, missing environment). */
export const FALLBACK_EXIT_CODE = 2;

/** Thrown when the runner's exit-code variables are missing or not numbers: the CLI exits with FALLBACK_EXIT_CODE. */
export class ExitCodesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExitCodesError";
  }
}

/** Reads both exit codes; throws ExitCodesError with a one-line explanation when either is unusable. */
export function readExitCodes(env: NodeJS.ProcessEnv): ExitCodes {
  return { build: readCode(env, "BUILD_FAILURE_EXIT_CODE"), system: readCode(env, "SYSTEM_FAILURE_EXIT_CODE") };
}

/** Like readExitCodes, but undefined instead of throwing (for reporting errors that happen before the codes matter). */
export function tryReadExitCodes(env: NodeJS.ProcessEnv): ExitCodes | undefined {
  try {
    return readExitCodes(env);
  } catch {
    return undefined;
  }
}

/** The exit code for a failure of the given class. */
export function exitCodeFor(failureClass: FailureClass, codes: ExitCodes | undefined): number {
  if (codes === undefined) return FALLBACK_EXIT_CODE;
  return failureClass === "build" ? codes.build : codes.system;
}

function readCode(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name];
  const where = "the driver must be started by GitLab Runner (custom executor) or `fargate exec`, which set it";
  if (raw === undefined || raw.trim() === "") {
    throw new ExitCodesError(`${name} is not set: ${where}`);
  }
  const code = Number(raw.trim());
  // Exit statuses are 0..255; 0 would report failures as success.
  if (!Number.isInteger(code) || code < 1 || code > 255) {
    throw new ExitCodesError(`${name} must be a number from 1 to 255, found ${JSON.stringify(raw)}: ${where}`);
  }
  return code;
}
