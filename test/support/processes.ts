// What runs on this machine, read from /proc: the emulator's task processes are local processes,
// so tests check "the remote script is gone" here.
import { readdirSync, readFileSync } from "node:fs";

/** The command lines (argv joined and ended by NUL bytes) of the live processes. */
export function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, "latin1"));
    } catch {
      // gone meanwhile
    }
  }
  return lines;
}

/** True while a process with exactly this argv runs. */
export function processRunning(argv: string[]): boolean {
  const wanted = argv.join("\0") + "\0";
  return commandLines().includes(wanted);
}

/** True while a process with this text anywhere in its command line runs. */
export function processWithArg(marker: string): boolean {
  return commandLines().some((line) => line.includes(marker));
}
