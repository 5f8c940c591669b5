// The options of `fargate gc`, their defaults and their checks. Pure: cli-args.ts parses the words,
// this turns them into GcOptions or explains, in one line, what is wrong.
import { parseDuration } from "../config/duration.js";
import { DriverError } from "../errors.js";

/** What one gc run does. */
export interface GcOptions {
  /** Short tokens of the runners whose tasks gc may stop (at least one; each matched exactly). */
  runners: string[];
  /** Tasks younger than this are never stopped (their prepare may not have written its state yet). */
  olderThanMs: number;
  /** A state file older than this belongs to a job that is over. */
  staleAfterMs: number;
  /** Print what would be done, change nothing. */
  dryRun: boolean;
}

/** Default --older-than: far longer than RunTask plus the state write that follows it. */
export const DEFAULT_OLDER_THAN = "10m";
/** Default --stale-after: longer than any sensible job timeout (GitLab's default is 1h). */
export const DEFAULT_STALE_AFTER = "24h";

/** gc's own flags, for node:util parseArgs. */
export const GC_FLAG_SPECS = {
  runner: { type: "string", multiple: true },
  "older-than": { type: "string" },
  "stale-after": { type: "string" },
  "dry-run": { type: "boolean" },
} as const;

/** gc's flags as parsed, before checking. */
export interface GcFlagValues {
  runner?: string[] | undefined;
  "older-than"?: string | undefined;
  "stale-after"?: string | undefined;
  "dry-run"?: boolean | undefined;
}

// GitLab's short tokens are letters, digits, "_" and "-". Anything else would be rewritten by
// startedByMarker(), so two different tokens could share a marker: refuse rather than guess.
const TOKEN = /^[A-Za-z0-9_-]{1,100}$/;

/** Checks the flags; throws a usage DriverError naming the flag and the expected form. */
export function gcOptionsFrom(values: GcFlagValues): GcOptions {
  const runners = [...new Set(values.runner ?? [])];
  if (runners.length === 0) {
    throw usage(
      "--runner SHORT_TOKEN is required: gc stops only tasks of the runners named (the first 9 characters of the runner's " +
        'token after "glrt-", shown as CI_RUNNER_SHORT_TOKEN and in the task tag gitlab-runner:runner); repeat it for several runners',
    );
  }
  for (const runner of runners) {
    if (!TOKEN.test(runner)) {
      throw usage(`--runner: expected a runner short token (letters, digits, "_" and "-"), found ${JSON.stringify(runner)}`);
    }
  }
  return {
    runners,
    olderThanMs: duration("--older-than", values["older-than"] ?? DEFAULT_OLDER_THAN),
    staleAfterMs: duration("--stale-after", values["stale-after"] ?? DEFAULT_STALE_AFTER),
    dryRun: values["dry-run"] === true,
  };
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw usage(`${flag}: expected a duration such as "90s", "10m" or "24h" (more than zero), found ${JSON.stringify(text)}`);
  }
  return ms;
}

function usage(message: string): DriverError {
  return new DriverError("usage", `fargate gc: ${message} (see fargate gc --help)`);
}
