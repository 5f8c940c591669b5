// The bash scripts GitLab Runner hands to `run`, in its format (see the protocol doc): a fixed
// prologue, then the stage's body ANSI-C quoted and eval'ed in a subshell with stdin from /dev/null,
// so the script works both as `bash <file>` and fed to bash on stdin.
import type { JobVariable } from "./job-variables.js";

/** The runner's colours: commands are echoed in bold green, warnings in yellow. */
export const ansi = {
  boldGreen: "\x1b[32;1m",
  yellow: "\x1b[0;33m",
  boldRed: "\x1b[31;1m",
  boldCyan: "\x1b[36;1m",
  reset: "\x1b[0;m",
} as const;

const literalByte = /^[A-Za-z0-9,./@_-]$/;
const quotedByte = /^[ !"#$%&()*+:;<=>?[\]^`{|}~]$/;
const namedEscapes: Record<number, string> = {
  0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0b: "\\v", 0x0c: "\\f", 0x0d: "\\r", 0x27: "\\'", 0x5c: "\\\\",
};

/**
 * Quotes a string for bash like the runner's ShellEscape: as is when only safe characters, else
 * $'...' with control and non-ASCII bytes as \xHH (byte-exact for any UTF-8 text).
 */
export function shellEscape(input: string): string {
  if (input === "") return "''";
  let out = "";
  let needsQuotes = false;
  for (const byte of Buffer.from(input, "utf8")) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && literalByte.test(ch)) out += ch;
    else if (byte < 0x80 && quotedByte.test(ch)) {
      out += ch;
      needsQuotes = true;
    } else {
      out += namedEscapes[byte] ?? `\\x${byte.toString(16).padStart(2, "0")}`;
      needsQuotes = true;
    }
  }
  return needsQuotes ? `$'${out}'` : out;
}

/** Builds a stage's body line by line, with the runner's helpers (exports, cd, coloured notices). */
export class BashBody {
  private readonly lines: string[] = [];

  /** Appends a raw line of bash. */
  line(text: string): this {
    this.lines.push(text);
    return this;
  }

  /** `export KEY=value` for every variable, values quoted byte-exactly. */
  exports(vars: readonly JobVariable[]): this {
    for (const v of vars) this.line(`export ${shellEscape(v.key)}=${shellEscape(v.value)}`);
    return this;
  }

  /** `cd` into a directory (the runner's Cd: fails the stage when it does not exist). */
  cd(dir: string): this {
    return this.line(`cd ${shellEscape(dir)}`);
  }

  /** `mkdir -p` a directory. */
  mkdir(dir: string): this {
    return this.line(`mkdir -p ${shellEscape(dir)}`);
  }

  /** Echoes a line in bold green, like the runner's Noticef. */
  notice(text: string): this {
    return this.line(`echo ${shellEscape(ansi.boldGreen + text + ansi.reset)}`);
  }

  /** Echoes a line in yellow, like the runner's Warningf. */
  warning(text: string): this {
    return this.line(`echo ${shellEscape(ansi.yellow + text + ansi.reset)}`);
  }

  /** The runner's writeCommands: echo each command (first line only for multi-line ones), then run it. */
  commands(commands: readonly string[]): this {
    for (const raw of commands) {
      const command = raw.trim();
      if (command === "") {
        this.line("echo");
      } else {
        const [first, ...rest] = command.split("\n");
        this.notice(rest.length > 0 ? `$ ${first} # collapsed multi-line command` : `$ ${first}`);
      }
      this.line(command);
    }
    return this;
  }

  /** The body as text. */
  toString(): string {
    return this.lines.map((l) => `${l}\n`).join("");
  }
}

/** Wraps a body in the runner's script template (xtrace when CI_DEBUG_TRACE is on). */
export function finishScript(body: BashBody | string, opts: { trace?: boolean } = {}): string {
  return [
    "#!/usr/bin/env bash",
    "",
    "trap 'exit 1' TERM",
    "",
    ...(opts.trace ? ["set -o xtrace"] : []),
    'case "$(set -o)" in *"pipefail"*) set -o pipefail;; esac; set -o errexit',
    "set +o noclobber",
    `(trap 'exit 1' TERM; eval ${shellEscape(String(body))}) < /dev/null`,
    "exit 0",
    "",
  ].join("\n");
}
