// Loads fargate.toml: read, parse (smol-toml), normalise key case, validate (valibot), apply the
// precedence rules (flag > job variable > file; --debug > --log-level > LogLevel), fill defaults and
// report every problem at once (misspelt keys included; other unknown keys are only warnings). Pure
// apart from reading the file: directories are checked by the stages.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import * as v from "valibot";
import { DriverError } from "../errors.js";
import type { LogFormat, LogLevel } from "../log.js";
import { parseLogLevel } from "../logging.js";
import { isClusterRef, isRegion, isTaskDefinitionRef } from "./aws-names.js";
import { parseDuration } from "./duration.js";
import { normalizeKeys } from "./normalize.js";
import { DEFAULTS, type FileConfig, FileSchema, formatIssues, LOG_FORMATS } from "./schema.js";
import type { DriverConfig } from "./types.js";

/** Command-line values that override the file (all optional; empty strings count as unset). */
export interface ConfigFlags {
  debug?: boolean | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  logFile?: string | undefined;
  taskDefinition?: string | undefined;
  platformVersion?: string | undefined;
}

/** Where to load from and what overrides it. */
export interface LoadOptions {
  /** The --config path, as given (relative paths resolve against cwd). */
  path: string;
  flags?: ConfigFlags;
  /** For the job variables CUSTOM_ENV_FARGATE_TASK_DEFINITION / CUSTOM_ENV_FARGATE_PLATFORM_VERSION. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A loaded configuration and the warnings (unknown keys etc.) to log once a logger exists. */
export interface LoadedConfig {
  config: DriverConfig;
  warnings: string[];
  /** Absolute path of the file read. */
  path: string;
}

/** Invalid configuration: `problems` holds one line per problem; the message joins them on one line. */
export class ConfigError extends DriverError {
  constructor(
    readonly problems: string[],
    label: string,
    /** Unknown-key warnings (e.g. a key in the wrong table), possibly the cause: appended to the message as hints. */
    readonly warnings: string[] = [],
  ) {
    const strip = (line: string) => (line.startsWith(`${label}: `) ? line.slice(label.length + 2) : line);
    const summary =
      problems.length === 1 ? `${problems[0]}` : `${label} has ${problems.length} problems: ${problems.map(strip).join("; ")}`;
    const hints = warnings.length === 0 ? "" : ` (also: ${warnings.map(strip).join("; ")})`;
    super("config_invalid", `loading configuration: ${summary}${hints}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the configuration file; throws DriverError/ConfigError with the file named and the fix. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const absolute = resolve(cwd, options.path);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (err) {
    throw new DriverError("config_unreadable", `loading configuration: ${unreadable(options.path, absolute, err)}`, "system", {
      cause: err,
    });
  }
  return parseConfig(text, { ...options, label: options.path, baseDir: dirname(absolute), absolutePath: absolute });
}

/** Validates configuration text (the testable core of loadConfig). */
export function parseConfig(
  text: string,
  options: { label: string; baseDir: string; absolutePath?: string; flags?: ConfigFlags; env?: NodeJS.ProcessEnv },
): LoadedConfig {
  const label = options.label;
  let document: Record<string, unknown>;
  try {
    document = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const why = (err.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
      throw new ConfigError([`${label}: invalid TOML at line ${err.line}, column ${err.column}: ${why}`], label);
    }
    throw new ConfigError([`${label}: invalid TOML: ${err instanceof Error ? err.message : String(err)}`], label);
  }
  const { data, warnings, errors } = normalizeKeys(document);
  // Misspelt keys first: they are usually the cause of the problems that follow (e.g. a required key "missing").
  const problems: string[] = errors.map((line) => `${label}: ${line}`);
  const parsed = v.safeParse(FileSchema, data, { abortEarly: false });
  if (!parsed.success) problems.push(...formatIssues(parsed.issues).map((line) => `${label}: ${line}`));
  // On failure, keep checking what was valid so required keys are still reported (all problems at once).
  const file = (parsed.success ? parsed.output : data) as FileConfig;
  const labelled = warnings.map((w) => `${label}: ${w}`);
  const resolved = resolveConfig(file, options.flags ?? {}, options.env ?? {}, options.baseDir, label, problems);
  if (problems.length > 0 || resolved === undefined) throw new ConfigError(problems, label, labelled);
  return { config: resolved, warnings: labelled, path: options.absolutePath ?? resolve(options.baseDir, label) };
}

function resolveConfig(
  file: FileConfig,
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  baseDir: string,
  label: string,
  problems: string[],
): DriverConfig | undefined {
  // After a failed schema check the sections may hold anything: only look inside real tables.
  const fargate = tableOr<"Fargate">(file.Fargate);
  const metadata = tableOr<"TaskMetadata">(file.TaskMetadata);
  const ssh = tableOr<"SSH">(file.SSH);
  const top = file;
  const subnetsGiven = fargate.Subnet !== undefined || fargate.Subnets !== undefined;

  const logLevel = pickLogLevel(flags, top.LogLevel, problems);
  const logFormat = pickLogFormat(flags, top.LogFormat, problems);
  const taskDefinition = first(flags.taskDefinition, env.CUSTOM_ENV_FARGATE_TASK_DEFINITION, fargate.TaskDefinition);
  const platformVersion = first(flags.platformVersion, env.CUSTOM_ENV_FARGATE_PLATFORM_VERSION, fargate.PlatformVersion);
  const subnets = unique([fargate.Subnet, ...(Array.isArray(fargate.Subnets) ? fargate.Subnets : [])]);
  const securityGroups = unique([fargate.SecurityGroup, ...(Array.isArray(fargate.SecurityGroups) ? fargate.SecurityGroups : [])]);
  const enablePublicIp = fargate.EnablePublicIP ?? false;
  const usePublicIp = fargate.UsePublicIP ?? enablePublicIp;

  const fargateIsTable = file.Fargate === undefined || isTable(file.Fargate);
  if (fargateIsTable && fargate.Cluster === undefined) {
    problems.push(`${label}: [Fargate] Cluster: expected a non-empty string (cluster name or ARN), found nothing`);
  }
  if (fargateIsTable && taskDefinition === undefined && fargate.TaskDefinition === undefined) {
    problems.push(
      `${label}: [Fargate] TaskDefinition: expected a task definition (family, family:revision or ARN), found nothing; ` +
        `set it in the file, with --task-def or with the FARGATE_TASK_DEFINITION job variable`,
    );
  }
  if (fargateIsTable && typeof fargate.Cluster === "string" && !isClusterRef(fargate.Cluster)) {
    problems.push(`${label}: [Fargate] Cluster: expected a cluster name (letters, digits, - and _) or a cluster ARN, found ${JSON.stringify(fargate.Cluster)}`);
  }
  if (typeof fargate.Region === "string" && !isRegion(fargate.Region)) {
    problems.push(`${label}: [Fargate] Region: expected an AWS region code such as "us-east-2", found ${JSON.stringify(fargate.Region)}`);
  }
  if (typeof taskDefinition === "string" && !isTaskDefinitionRef(taskDefinition)) {
    problems.push(
      `${taskDefinitionSource(flags, env, label)}: expected a task definition as family, family:revision (revision 1 or more) or ` +
        `a task-definition ARN, found ${JSON.stringify(taskDefinition)}`,
    );
  }
  if (fargateIsTable && subnets.length === 0 && (!subnetsGiven || (Array.isArray(fargate.Subnets) && fargate.Subnets.length === 0))) {
    problems.push(`${label}: [Fargate] Subnet / Subnets: expected at least one subnet ID, found none`);
  }
  if (usePublicIp === true && enablePublicIp === false) {
    problems.push(`${label}: [Fargate] UsePublicIP: cannot be true while EnablePublicIP is false (the task would get no public IP to connect to)`);
  }
  if (problems.length > 0) return undefined;

  // A --log-file path is the user's own, relative to where they ran the command; the file's is relative to the file.
  const flagLogFile = first(flags.logFile);
  const logFile = flagLogFile !== undefined ? resolve(flagLogFile) : first(top.LogFile);
  return {
    logLevel,
    logFormat,
    logFile: logFile === undefined ? undefined : resolvePath(baseDir, logFile),
    fargate: {
      cluster: fargate.Cluster as string,
      region: fargate.Region,
      subnets,
      securityGroups,
      taskDefinition: taskDefinition as string,
      enablePublicIp,
      usePublicIp,
      platformVersion,
      startTimeoutMs: parseDuration(fargate.StartTimeout ?? DEFAULTS.StartTimeout) as number,
    },
    taskMetadata: { directory: resolvePath(baseDir, metadata.Directory ?? DEFAULTS.Directory) },
    ssh: {
      username: ssh.Username ?? DEFAULTS.Username,
      port: ssh.Port ?? DEFAULTS.Port,
      readyTimeoutMs: parseDuration(ssh.ReadyTimeout ?? DEFAULTS.ReadyTimeout) as number,
      connectTimeoutMs: parseDuration(ssh.ConnectTimeout ?? DEFAULTS.ConnectTimeout) as number,
    },
  };
}

// Where the effective task definition came from, for its error message (flag > job variable > file).
function taskDefinitionSource(flags: ConfigFlags, env: NodeJS.ProcessEnv, label: string): string {
  if (first(flags.taskDefinition) !== undefined) return "--task-def";
  if (first(env.CUSTOM_ENV_FARGATE_TASK_DEFINITION) !== undefined) return "the FARGATE_TASK_DEFINITION job variable";
  return `${label}: [Fargate] TaskDefinition`;
}

function pickLogLevel(flags: ConfigFlags, fromFile: string | undefined, problems: string[]): LogLevel {
  if (flags.debug === true) return "debug";
  if (flags.logLevel !== undefined && flags.logLevel !== "") {
    const level = parseLogLevel(flags.logLevel);
    if (level === undefined) {
      problems.push(`--log-level: expected one of debug, info, warning, error, fatal, panic, found ${JSON.stringify(flags.logLevel)}`);
    }
    return level ?? "info";
  }
  return parseLogLevel(typeof fromFile === "string" ? fromFile : DEFAULTS.LogLevel) ?? "info";
}

function pickLogFormat(flags: ConfigFlags, fromFile: LogFormat | undefined, problems: string[]): LogFormat {
  if (flags.logFormat !== undefined && flags.logFormat !== "") {
    if (!(LOG_FORMATS as readonly string[]).includes(flags.logFormat)) {
      problems.push(`--log-format: expected one of ${LOG_FORMATS.join(", ")}, found ${JSON.stringify(flags.logFormat)}`);
      return "text";
    }
    return flags.logFormat as LogFormat;
  }
  return fromFile ?? DEFAULTS.LogFormat;
}

type Section<K extends "Fargate" | "TaskMetadata" | "SSH"> = NonNullable<FileConfig[K]>;

function tableOr<K extends "Fargate" | "TaskMetadata" | "SSH">(value: FileConfig[K]): Partial<Section<K>> {
  return isTable(value) ? (value as Section<K>) : {};
}

function isTable(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The first value that is set and non-empty (flag, then job variable, then file). */
function first(...values: (string | undefined)[]): string | undefined {
  // typeof guard: after a failed schema check a value may be of any type.
  return values.find((value) => typeof value === "string" && value.trim() !== "")?.trim();
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => typeof value === "string" && value !== ""))];
}

// Relative paths are taken from the config file's directory: the runner starts the driver in a
// per-job temporary directory, so a cwd-relative path would move with every job.
function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function unreadable(given: string, absolute: string, err: unknown): string {
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  const where = given === absolute ? `"${given}"` : `"${given}" (${absolute})`;
  if (code === "ENOENT") {
    return `file ${where} does not exist; pass the path of your fargate.toml with --config, e.g. --config /etc/gitlab-runner/fargate.toml`;
  }
  if (code === "EACCES" || code === "EPERM") {
    return `reading file ${where}: permission denied; make it readable by the user running the driver (usually gitlab-runner)`;
  }
  if (code === "EISDIR") return `reading file ${where}: it is a directory; --config must name the fargate.toml file`;
  return `reading file ${where}: ${err instanceof Error ? err.message : String(err)}`;
}
