#!/usr/bin/env node
// Entry point. Parses argv, loads the config, builds the logger, imports the one stage module it
// needs and calls it. The one place that catches and chooses an exit code: a build failure maps to
// BUILD_FAILURE_EXIT_CODE, everything else to SYSTEM_FAILURE_EXIT_CODE, with one `ERROR: ...` line.
import { resolve } from "node:path";
import { DEFAULT_CUSTOM_CONFIG, DEFAULT_EXEC_CONFIG, type GlobalFlags, parseCommandLine, UsageError } from "./cli-args.js";
import { helpText } from "./cli-help.js";
import { loadConfig } from "./config/load.js";
import { DriverError } from "./errors.js";
import type { GcFlagValues } from "./gc/options.js";
import { type ExitCodes, ExitCodesError, exitCodeFor, FALLBACK_EXIT_CODE, readExitCodes, tryReadExitCodes } from "./exit-codes.js";
import { readJobIdentity } from "./job.js";
import { createLogger, type DriverLogger, redactText, routeProcessWarnings } from "./logging.js";
import { abortOnSignals } from "./signals.js";
import { loadStage, type StageName } from "./stages/dispatch.js";
import { driverVersion } from "./version.js";

/** What the error report needs to know about how far the run got. */
interface Session {
  flags: GlobalFlags | undefined;
  codes: ExitCodes | undefined;
  log: DriverLogger | undefined;
}

async function main(argv: string[], session: Session): Promise<number> {
  const command = parseCommandLine(argv);
  switch (command.kind) {
    case "help":
      process.stdout.write(helpText(command.topic));
      return 0;
    case "version":
      process.stdout.write(`fargate version ${driverVersion()}\n`);
      return 0;
    case "gc":
      session.flags = command.flags;
      return runGcCommand(command.gc, command.flags, session);
    case "exec": {
      session.flags = command.flags;
      const { runExec } = await import("./exec/index.js");
      return runExec({
        file: command.file,
        configPath: command.configPath,
        job: command.job,
        driverGlobalArgs: forwardedFlags(command.flags, resolve(command.configPath)),
        driverCommand: [process.execPath, ...process.execArgv, process.argv[1] ?? ""],
      });
    }
    case "custom":
      session.flags = command.flags;
      return runCustomStage(command.stage, command.args, command.flags, session);
  }
}

async function runCustomStage(stage: StageName, args: string[], flags: GlobalFlags, session: Session): Promise<number> {
  session.codes = readExitCodes(process.env);
  const loaded = loadConfig({ path: flags.config ?? DEFAULT_CUSTOM_CONFIG, flags, env: process.env });
  const log = createLogger({ level: loaded.config.logLevel, format: loaded.config.logFormat, file: loaded.config.logFile });
  session.log = log;
  routeProcessWarnings(log);
  for (const warning of loaded.warnings) log.warn(warning);
  const job = readJobIdentity(process.env);
  const signal = abortOnSignals(log, session.codes.system);
  const stageFunction = await loadStage(stage);
  log.debug(`Starting stage ${stage}`, { job: job.jobId, id: job.id, version: driverVersion() });
  await stageFunction({
    config: loaded.config,
    log,
    env: process.env,
    args,
    signal,
    stdout: process.stdout,
    stderr: process.stderr,
    job,
    version: driverVersion(),
  });
  return 0;
}

// gc runs outside any job (cron, systemd): no runner exit codes (failures exit FALLBACK_EXIT_CODE)
// and no job variables. TaskDefinition is not needed to stop tasks, so a file that leaves it to the
// FARGATE_TASK_DEFINITION job variable must still load.
async function runGcCommand(values: GcFlagValues, flags: GlobalFlags, session: Session): Promise<number> {
  const { gcOptionsFrom, runGc } = await import("./gc/index.js");
  const options = gcOptionsFrom(values);
  const loaded = loadConfig({
    path: flags.config ?? DEFAULT_EXEC_CONFIG,
    flags: { ...flags, taskDefinition: flags.taskDefinition ?? "unused-by-gc" },
    env: {},
  });
  const log = createLogger({ level: loaded.config.logLevel, format: loaded.config.logFormat, file: loaded.config.logFile });
  session.log = log;
  routeProcessWarnings(log);
  for (const warning of loaded.warnings) log.warn(warning);
  const signal = abortOnSignals(log, FALLBACK_EXIT_CODE);
  await runGc({ config: loaded.config, options, log, stdout: process.stdout, signal });
  return 0;
}

// Global flags `fargate exec` passes on to every stage it starts (config made absolute: stages run elsewhere).
function forwardedFlags(flags: GlobalFlags, configPath: string): string[] {
  const out = ["--config", configPath];
  if (flags.debug) out.push("--debug");
  const pairs: [string, string | undefined][] = [
    ["--log-level", flags.logLevel],
    ["--log-format", flags.logFormat],
    ["--log-file", flags.logFile === undefined ? undefined : resolve(flags.logFile)],
    ["--task-def", flags.taskDefinition],
    ["--platform-version", flags.platformVersion],
  ];
  for (const [name, value] of pairs) if (value !== undefined) out.push(name, value);
  return out;
}

// The one catch: one line on stderr (and the LogFile), the stack only with --debug.
function report(err: unknown, session: Session): number {
  const log = session.log ?? fallbackLogger(session.flags);
  if (err instanceof ExitCodesError) {
    log.failure(err.message);
    return FALLBACK_EXIT_CODE;
  }
  const message = err instanceof DriverError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)} (run with --debug for details)`;
  log.failure(message);
  const debug = session.flags?.debug === true || session.log?.level === "debug";
  if (debug) process.stderr.write(redactText(describeStack(err)) + "\n");
  // A wrong `custom` command line still comes from the runner: use its system-failure code if it set one.
  const codes = session.codes ?? (err instanceof UsageError && err.command === "custom" ? tryReadExitCodes(process.env) : undefined);
  return exitCodeFor(err instanceof DriverError ? err.failureClass : "system", codes);
}

function describeStack(err: unknown): string {
  const lines: string[] = [];
  for (let current = err, depth = 0; current !== undefined && depth < 8; depth++) {
    lines.push((depth === 0 ? "" : "caused by: ") + (current instanceof Error ? (current.stack ?? current.message) : String(current)));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join("\n");
}

// Before the config is loaded: the format from --log-format when it is valid, else text.
function fallbackLogger(flags: GlobalFlags | undefined): DriverLogger {
  const format = flags?.logFormat === "json" || flags?.logFormat === "text-simple" ? flags.logFormat : "text";
  return createLogger({ level: "info", format });
}

const session: Session = { flags: undefined, codes: undefined, log: undefined };
// If anything escapes (an emitter's unhandled 'error'), report it as a system failure rather than
// crash with Node's exit code 1, which the runner would read as a failed job script.
process.on("uncaughtException", (err) => finish(report(err, session)));
process.exitCode = FALLBACK_EXIT_CODE;

function finish(code: number): void {
  session.log?.close();
  process.exit(code);
}

main(process.argv.slice(2), session).then(finish, (err: unknown) => finish(report(err, session)));
