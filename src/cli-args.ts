// Command-line parsing for `fargate`: global flags before the command (as in the Go driver, which
// also accepted single-dash long flags such as -config), then `custom <stage> [args]`, `exec`, `gc`.
// Pure: returns what to do; cli.ts does it.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DriverError } from "./errors.js";
import { GC_FLAG_SPECS, type GcFlagValues } from "./gc/options.js";
import { type StageName, stageNamed } from "./stages/dispatch.js";

/** Global flags (before the command). Unset values stay undefined so the config file decides. */
export interface GlobalFlags {
  config: string | undefined;
  debug: boolean;
  logLevel: string | undefined;
  logFormat: string | undefined;
  logFile: string | undefined;
  taskDefinition: string | undefined;
  platformVersion: string | undefined;
}

/** Which help text to show. */
export type HelpTopic = "main" | "custom" | "exec" | "gc";

/** What the command line asks for. */
export type CliCommand =
  | { kind: "help"; topic: HelpTopic }
  | { kind: "version" }
  | { kind: "custom"; stage: StageName; args: string[]; flags: GlobalFlags }
  | { kind: "exec"; file: string; configPath: string; job: string; flags: GlobalFlags }
  | { kind: "gc"; flags: GlobalFlags; gc: GcFlagValues };

/** The Go driver's default --config for `custom` (the runner passes --config in practice). */
export const DEFAULT_CUSTOM_CONFIG = "config.toml";
/** Defaults of `fargate exec`. */
export const DEFAULT_EXEC_CONFIG = "fargate.toml";
export const DEFAULT_EXEC_FILE = ".gitlab-ci.yml";

const VALUE_FLAGS = ["config", "log-level", "log-format", "log-file", "task-def", "platform-version"] as const;
const GLOBAL_OPTIONS = {
  config: { type: "string" },
  debug: { type: "boolean" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  "log-file": { type: "string" },
  "task-def": { type: "string" },
  "platform-version": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/** A wrong command line; reported as `ERROR: <message>` like every other failure. */
export class UsageError extends DriverError {
  constructor(
    message: string,
    code = "usage",
    /** Set for `custom` so the runner's SYSTEM_FAILURE_EXIT_CODE is used rather than the fallback. */
    readonly command: "custom" | undefined = undefined,
  ) {
    super(code, message);
    this.name = "UsageError";
  }
}

/** Parses argv (without node and the script path). Throws UsageError on a wrong command line. */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  const args = [...argv];
  const commandIndex = firstPositional(args);
  const globals = parse(args.slice(0, commandIndex).flatMap(goFlagForm), GLOBAL_OPTIONS, "fargate");
  if (globals.values.help === true) return { kind: "help", topic: "main" };
  if (globals.values.version === true) return { kind: "version" };
  const flags = toFlags(globals.values);
  const command = args[commandIndex];
  const rest = args.slice(commandIndex + 1);
  switch (command) {
    case undefined:
      return { kind: "help", topic: "main" };
    case "custom":
    case "c":
      return parseCustom(rest, flags);
    case "exec":
      return parseExec(rest, flags);
    case "gc":
      return parseGc(rest, flags);
    case "help":
      return { kind: "help", topic: rest[0] === "custom" || rest[0] === "exec" || rest[0] === "gc" ? rest[0] : "main" };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}: expected custom, exec or gc (see fargate --help)`);
  }
}

function parseCustom(rest: string[], flags: GlobalFlags): CliCommand {
  const [word, ...stageArgs] = rest;
  if (word === undefined || word === "--help" || word === "-h" || stageArgs[0] === "--help") return { kind: "help", topic: "custom" };
  const stage = stageNamed(word);
  if (stage === undefined) {
    throw new UsageError(`unknown stage ${JSON.stringify(word)}: expected config, prepare, run or cleanup (see fargate custom --help)`, "usage", "custom");
  }
  if (stage === "run" && stageArgs.length < 2) {
    // The Go driver's wording.
    throw new UsageError("missing required arguments: usage: fargate custom run <script path> <stage name>", "missing_arguments", "custom");
  }
  return { kind: "custom", stage, args: stageArgs, flags };
}

function parseExec(rest: string[], flags: GlobalFlags): CliCommand {
  const options = { ...GLOBAL_OPTIONS, file: { type: "string", short: "f" }, config: { type: "string", short: "c" } } as const;
  const parsed = parse(rest.flatMap(goFlagForm), options, "fargate exec");
  if (parsed.values.help === true) return { kind: "help", topic: "exec" };
  const execFlags = toFlags(parsed.values);
  const merged: GlobalFlags = {
    config: execFlags.config ?? flags.config,
    debug: execFlags.debug || flags.debug,
    logLevel: execFlags.logLevel ?? flags.logLevel,
    logFormat: execFlags.logFormat ?? flags.logFormat,
    logFile: execFlags.logFile ?? flags.logFile,
    taskDefinition: execFlags.taskDefinition ?? flags.taskDefinition,
    platformVersion: execFlags.platformVersion ?? flags.platformVersion,
  };
  const [job, ...extra] = parsed.positionals;
  if (job === undefined) throw new UsageError("missing job name: usage: fargate exec [--file .gitlab-ci.yml] [--config fargate.toml] JOB");
  if (extra.length > 0) throw new UsageError(`fargate exec runs one job, found ${parsed.positionals.length}: ${parsed.positionals.join(" ")}`);
  const file = typeof parsed.values.file === "string" ? parsed.values.file : DEFAULT_EXEC_FILE;
  return { kind: "exec", file, configPath: merged.config ?? DEFAULT_EXEC_CONFIG, job, flags: merged };
}

// gc: its own flags, and global flags after the command too (a systemd unit reads better that way).
function parseGc(rest: string[], flags: GlobalFlags): CliCommand {
  const parsed = parse(rest.flatMap(goFlagForm), { ...GLOBAL_OPTIONS, ...GC_FLAG_SPECS }, "fargate gc");
  if (parsed.values.help === true) return { kind: "help", topic: "gc" };
  if (parsed.positionals.length > 0) throw new UsageError(`fargate gc takes no arguments, found ${parsed.positionals.join(" ")} (see fargate gc --help)`);
  const own = toFlags(parsed.values);
  const merged: GlobalFlags = { ...flags, debug: own.debug || flags.debug };
  for (const key of ["config", "logLevel", "logFormat", "logFile", "taskDefinition", "platformVersion"] as const) merged[key] = own[key] ?? flags[key];
  const { runner, "older-than": olderThan, "stale-after": staleAfter, "dry-run": dryRun } = parsed.values;
  return {
    kind: "gc",
    flags: merged,
    gc: {
      runner: Array.isArray(runner) ? runner : undefined,
      "older-than": typeof olderThan === "string" ? olderThan : undefined,
      "stale-after": typeof staleAfter === "string" ? staleAfter : undefined,
      "dry-run": dryRun === true,
    },
  };
}

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(args: string[], options: ParseArgsConfig["options"], where: string): { values: Values; positionals: string[] } {
  try {
    const result = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: result.values as Values, positionals: result.positionals };
  } catch (err) {
    // node's messages ("Unknown option '--x'...") are clear; add where and how to get help.
    const why = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/, "") : String(err);
    throw new UsageError(`${where}: ${why} (see fargate --help)`);
  }
}

function toFlags(values: Values): GlobalFlags {
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  return {
    config: text("config"),
    debug: values.debug === true,
    logLevel: text("log-level"),
    logFormat: text("log-format"),
    logFile: text("log-file"),
    taskDefinition: text("task-def"),
    platformVersion: text("platform-version"),
  };
}

// Index of the command word: the first argument that is neither a flag nor a flag's value.
function firstPositional(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return i + 1;
    if (!arg.startsWith("-")) return i;
    const name = arg.replace(/^--?/, "");
    if ((VALUE_FLAGS as readonly string[]).includes(name)) i++;
  }
  return args.length;
}

// Go's flag package accepted -config as well as --config, and --debug=true / --debug=false for a
// boolean flag (any strconv.ParseBool spelling): keep old wrappers working.
const BOOLEAN_FLAGS = new Set(["debug", "dry-run"]);
const GO_TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

function goFlagForm(arg: string): string[] {
  const double = singleDashToDouble(arg);
  const match = /^--([a-z-]+)=(.*)$/.exec(double);
  if (match === null || !BOOLEAN_FLAGS.has(match[1] as string)) return [double];
  const value = match[2] as string;
  if (GO_TRUE.has(value)) return [`--${match[1]}`];
  if (GO_FALSE.has(value)) return [];
  return [double]; // not a boolean: parseArgs reports it
}

// Go's flag package accepted -config as well as --config; keep old wrappers working.
function singleDashToDouble(arg: string): string {
  const match = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg);
  if (match === null) return arg;
  const name = match[1] as string;
  return name in GLOBAL_OPTIONS || name === "file" ? `--${name}${match[2] ?? ""}` : arg;
}
