// The Logger implementation: level filtering, three formats (text, text-simple, json), stderr or an
// appended LogFile (mode 0600), and a redaction guard so secrets never reach a job log. Writes are
// synchronous (stderr pipes and files are synchronous on Linux) so nothing is lost at process.exit.
import { closeSync, openSync, writeSync } from "node:fs";
import { DriverError } from "./errors.js";
import type { LogFields, LogFormat, Logger, LogLevel } from "./log.js";

/** Severity order of the log levels (index = severity). */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error", "fatal", "panic"];

/** Something lines can be written to (process.stderr in production, a collector in tests). */
export interface LineSink {
  write(chunk: string): unknown;
}

/** How to build a logger. */
export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Append here (created 0600 when missing) instead of writing to stderr. */
  file?: string | undefined;
  /** Defaults to process.stderr. */
  stderr?: LineSink;
  /** Injectable clock for tests. */
  now?: () => Date;
}

const REDACTED = "[REDACTED]";
// Field names that carry credentials; their values are never printed.
const SENSITIVE_FIELD = /key|token|secret|password|passwd|passphrase|credential|cookie/i;
// A PEM/OpenSSH private key block, or the start of a truncated one.
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** Replaces every private key block in a text with a marker. */
export function redactText(text: string): string {
  return text.replace(PRIVATE_KEY_BLOCK, "[REDACTED PRIVATE KEY]");
}

/** Returns the fields with credential-like values hidden and private keys removed; undefined values dropped. */
export function redactFields(fields: LogFields | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    if (SENSITIVE_FIELD.test(name)) out[name] = REDACTED;
    else out[name] = typeof value === "string" ? redactText(value) : value;
  }
  return out;
}

/** Parses a logrus-style level name (also "warn" and "trace", as the Go driver accepted); undefined if unknown. */
export function parseLogLevel(value: string): LogLevel | undefined {
  const name = value.trim().toLowerCase();
  if (name === "warn") return "warning";
  if (name === "trace") return "debug";
  return (LOG_LEVELS as readonly string[]).includes(name) ? (name as LogLevel) : undefined;
}

/** The driver's logger; `failure` prints the final one-line error the CLI reports. */
export class DriverLogger implements Logger {
  private readonly threshold: number;
  private readonly started: number;
  private readonly now: () => Date;
  private readonly stderr: LineSink;
  private fileFd: number | undefined;

  constructor(private readonly options: LoggerOptions) {
    this.threshold = LOG_LEVELS.indexOf(options.level);
    this.now = options.now ?? (() => new Date());
    this.started = this.now().getTime();
    this.stderr = options.stderr ?? process.stderr;
    if (options.file !== undefined && options.file !== "") this.fileFd = openLogFile(options.file);
  }

  /** The configured level and format. */
  get level(): LogLevel {
    return this.options.level;
  }
  get format(): LogFormat {
    return this.options.format;
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warning", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  /** Writes the CLI's final error (`ERROR: <message>`, or a json line) to stderr and the LogFile, whatever the level. */
  failure(message: string): void {
    const msg = oneLine(redactText(message));
    const line =
      this.options.format === "json"
        ? JSON.stringify({ time: this.now().toISOString(), level: "error", msg }) + "\n"
        : `ERROR: ${msg}\n`;
    this.stderr.write(line);
    if (this.fileFd !== undefined) writeSync(this.fileFd, line);
  }

  /** Closes the LogFile, if any. */
  close(): void {
    if (this.fileFd !== undefined) closeSync(this.fileFd);
    this.fileFd = undefined;
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (LOG_LEVELS.indexOf(level) < this.threshold) return;
    const line = this.formatLine(level, redactText(msg), redactFields(fields));
    if (this.fileFd !== undefined) writeSync(this.fileFd, line);
    else this.stderr.write(line);
  }

  private formatLine(level: LogLevel, msg: string, fields: Record<string, string | number | boolean>): string {
    const time = this.now();
    if (this.options.format === "json") {
      // As logrus does, fields that clash with the line's own keys are renamed rather than overwrite them.
      const safe = Object.fromEntries(Object.entries(fields).map(([k, v]) => [RESERVED_JSON_KEYS.has(k) ? `fields.${k}` : k, v]));
      return JSON.stringify({ time: time.toISOString(), level, msg, ...safe }) + "\n";
    }
    const pairs = Object.entries(fields)
      .map(([k, v]) => `${k}=${quoteValue(v)}`)
      .join(" ");
    const body = pairs === "" ? oneLine(msg) : `${oneLine(msg)}  ${pairs}`;
    if (this.options.format === "text-simple") {
      // Only warnings and errors are labelled: the message alone reads best in a job log.
      const prefix = level === "warning" ? "WARNING: " : level === "info" || level === "debug" ? "" : "ERROR: ";
      return `${prefix}${body}\n`;
    }
    // logrus's look: INFO[0002] message  key=value (seconds since the process started).
    const seconds = Math.max(0, Math.floor((time.getTime() - this.started) / 1000));
    return `${LEVEL_LABELS[level]}[${String(seconds).padStart(4, "0")}] ${body}\n`;
  }
}

const RESERVED_JSON_KEYS = new Set(["time", "level", "msg"]);

const LEVEL_LABELS: Record<LogLevel, string> = {
  debug: "DEBU",
  info: "INFO",
  warning: "WARN",
  error: "ERRO",
  fatal: "FATA",
  panic: "PANI",
};

/** Builds the logger; throws a DriverError naming the LogFile when it cannot be opened. */
export function createLogger(options: LoggerOptions): DriverLogger {
  return new DriverLogger(options);
}

/**
 * Sends Node process warnings (e.g. the AWS SDK's multi-line NodeVersionSupportWarning on Node 20)
 * to the debug level instead of Node's default printer, which would put them in every job log.
 */
export function routeProcessWarnings(log: Logger, proc: NodeJS.Process = process): void {
  proc.removeAllListeners("warning");
  proc.on("warning", (warning: Error) => {
    log.debug(`process warning: ${warning.name}: ${warning.message}`);
  });
}

function openLogFile(file: string): number {
  try {
    return openSync(file, "a", 0o600);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DriverError(
      "log_file_unwritable",
      `opening the log file "${file}": ${why}; check that its directory exists and is writable by the user running the driver (usually gitlab-runner), or change LogFile / --log-file`,
      "system",
      { cause: err },
    );
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, " ").trimEnd();
}

function quoteValue(value: string | number | boolean): string {
  const text = String(value);
  return /^[A-Za-z0-9_.:/@+\-=,%]+$/.test(text) ? text : JSON.stringify(oneLine(text));
}
