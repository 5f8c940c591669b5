// The logger port. Logs go to stderr or the LogFile, never to stdout: stdout belongs to the job
// (and, in the config stage, to its JSON). Fields must never carry private keys, tokens or job variables.

/** Log levels, least to most severe (the Go driver's logrus names). */
export type LogLevel = "debug" | "info" | "warning" | "error" | "fatal" | "panic";

/** Output formats: text (readable in a job log), text-simple (no time stamps/colours), json (one object a line). */
export type LogFormat = "text" | "text-simple" | "json";

/** Structured key/value context attached to a log line. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** The driver's logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}
