// The shape of fargate.toml: every key of GitLab's Go driver plus our additions (Subnets,
// SecurityGroups, timeouts), checked with valibot so that every problem is reported at once with its
// key path, the expected form and what was found. Keys match case-insensitively, as the Go driver's
// TOML decoder matched them, so existing files load unchanged.
import * as v from "valibot";
import { parseLogLevel } from "../logging.js";
import { parseDuration } from "./duration.js";

/** Known keys per table ("" = top level), in their canonical spelling. */
export const KNOWN_KEYS: Record<string, readonly string[]> = {
  "": ["LogLevel", "LogFormat", "LogFile", "Fargate", "TaskMetadata", "SSH"],
  Fargate: [
    "Cluster",
    "Region",
    "Subnet",
    "Subnets",
    "SecurityGroup",
    "SecurityGroups",
    "TaskDefinition",
    "EnablePublicIP",
    "UsePublicIP",
    "PlatformVersion",
    "StartTimeout",
  ],
  TaskMetadata: ["Directory"],
  SSH: ["Username", "Port", "ReadyTimeout", "ConnectTimeout"],
};

/** The tables (sections) of the file. */
export const TABLES = ["Fargate", "TaskMetadata", "SSH"] as const;

/** Defaults for keys the file may omit (documented in docs/configuration.md). */
export const DEFAULTS = {
  LogLevel: "info",
  LogFormat: "text",
  StartTimeout: "10m",
  Directory: "/opt/gitlab-runner/metadata",
  Username: "root",
  Port: 22,
  ReadyTimeout: "2m",
  ConnectTimeout: "10s",
} as const;

/** Accepted LogFormat values. */
export const LOG_FORMATS = ["text", "text-simple", "json"] as const;

const LEVELS_TEXT = "one of debug, info, warning, error, fatal, panic";
const DURATION_TEXT = 'a duration such as "90s", "10m" or "1h30m"';

const text = (expected = "a non-empty string") =>
  v.optional(v.pipe(v.string(`expected ${expected}`), v.minLength(1, `expected ${expected}`)));
const flag = () => v.optional(v.boolean("expected true or false"));
const list = (what: string) =>
  v.optional(
    v.array(
      v.pipe(v.string(`expected a non-empty ${what} string`), v.minLength(1, `expected a non-empty ${what} string`)),
      `expected a list of ${what}s, e.g. ["${what === "subnet ID" ? "subnet-0123" : "sg-0123"}"]`,
    ),
  );
const duration = () =>
  v.optional(
    v.pipe(
      v.string(`expected ${DURATION_TEXT}`),
      v.check((value) => (parseDuration(value) ?? 0) > 0, `expected ${DURATION_TEXT} (more than zero)`),
    ),
  );
const table = <T extends v.ObjectEntries>(name: string, entries: T) =>
  v.optional(v.object(entries, `expected a table ([${name}] section)`));

/** The file after key-case normalisation; every key optional (required ones are checked after overrides). */
export const FileSchema = v.object(
  {
    LogLevel: v.optional(
      v.pipe(v.string(`expected ${LEVELS_TEXT}`), v.check((value) => parseLogLevel(value) !== undefined, `expected ${LEVELS_TEXT}`)),
    ),
    LogFormat: v.optional(v.picklist(LOG_FORMATS, `expected one of ${LOG_FORMATS.join(", ")}`)),
    LogFile: text("a file path"),
    Fargate: table("Fargate", {
      Cluster: text("a non-empty string (cluster name or ARN)"),
      Region: text("an AWS region such as \"us-east-2\""),
      Subnet: text("a subnet ID"),
      Subnets: list("subnet ID"),
      SecurityGroup: text("a security group ID"),
      SecurityGroups: list("security group ID"),
      TaskDefinition: text("a task definition (family, family:revision or ARN)"),
      EnablePublicIP: flag(),
      UsePublicIP: flag(),
      // An empty PlatformVersion meant "not set" in the Go driver.
      PlatformVersion: v.optional(v.string("expected a platform version string such as \"1.4.0\" or \"LATEST\"")),
      StartTimeout: duration(),
    }),
    TaskMetadata: table("TaskMetadata", {
      Directory: text("a directory path"),
    }),
    SSH: table("SSH", {
      Username: text("a user name"),
      Port: v.optional(
        v.pipe(
          v.number("expected a port number from 1 to 65535"),
          v.integer("expected a port number from 1 to 65535"),
          v.minValue(1, "expected a port number from 1 to 65535"),
          v.maxValue(65535, "expected a port number from 1 to 65535"),
        ),
      ),
      ReadyTimeout: duration(),
      ConnectTimeout: duration(),
    }),
  },
  "expected a TOML document",
);

/** The validated file content. */
export type FileConfig = v.InferOutput<typeof FileSchema>;

/** Where a key lives, as users see it: "LogLevel", "[Fargate] Cluster", "[Fargate] Subnets[1]". */
export function keyLabel(path: readonly (string | number)[]): string {
  const [first, ...rest] = path;
  if (first === undefined) return "(file)";
  const inTable = (TABLES as readonly string[]).includes(String(first)) && rest.length > 0;
  const keyParts = inTable ? rest : path;
  const key = keyParts.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
  return inTable ? `[${String(first)}] ${key}` : key;
}

/** Describes a found value for a message: strings quoted, tables and lists by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return value === "" ? "an empty string" : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list (${value.length} items)`;
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  return "a table";
}

/** Turns valibot issues into "key: expected X, found Y" lines. */
export function formatIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const issue of issues) {
    const path = (issue.path ?? []).map((item) => item.key as string | number);
    const line = `${keyLabel(path)}: ${issue.message}, found ${describeValue(issue.input)}`;
    // A value failing several checks of one pipe (e.g. Port 70000.5) is reported once.
    const key = keyLabel(path);
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(line);
  }
  return lines;
}
