// Reads the task metadata directory for gc: the state files (and interrupted temp files) of the
// runners gc works for. Files of other runners sharing the directory are left out entirely.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DriverError } from "../errors.js";
import { readState, statePath } from "../state/state-file.js";
import type { JobState } from "../state/types.js";
import { runnerOfStateId } from "./ownership.js";

/** One `<id>.json` of a runner gc works for; `state` is undefined when the file could not be read. */
export interface StateEntry {
  id: string;
  path: string;
  runner: string;
  state: JobState | undefined;
  /** Why the file could not be used (set when state is undefined). */
  problem: string | undefined;
  /** When the job's task was started (the state's createdAt), else the file's modification time. */
  writtenAt: Date;
}

/** A `.<id>.<pid>.<hex>.tmp` left by a state write that never reached its rename (a SIGKILL mid-write). */
export interface TempEntry {
  path: string;
  runner: string;
  writtenAt: Date;
}

/** What the directory holds for the runners asked about. */
export interface StateScan {
  states: StateEntry[];
  temps: TempEntry[];
}

// The temp name state-file.ts writes: `.${id}.${pid}.${8 hex}.tmp`.
const TEMP = /^\.(.+)\.[0-9]+\.[0-9a-f]+\.tmp$/;

/** Lists and reads the runners' state files; a missing directory is empty, an unreadable one an error. */
export async function scanStateDirectory(directory: string, runners: readonly string[]): Promise<StateScan> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return { states: [], temps: [] };
    throw new DriverError(
      "state_dir_unusable",
      `reading the task metadata directory "${directory}" ([TaskMetadata] Directory): ${(err as Error).message}; ` +
        "run gc as the user that runs the driver (usually gitlab-runner): without the state files it cannot tell which tasks are live",
      "system",
      { cause: err },
    );
  }
  const scan: StateScan = { states: [], temps: [] };
  for (const name of names.sort()) {
    const temp = TEMP.exec(name);
    if (temp) {
      const runner = runnerOfStateId(temp[1] as string);
      if (runner !== undefined && runners.includes(runner)) {
        const path = join(directory, name);
        const writtenAt = await modified(path);
        if (writtenAt) scan.temps.push({ path, runner, writtenAt });
      }
      continue;
    }
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const id = name.slice(0, -".json".length);
    const runner = runnerOfStateId(id);
    if (runner === undefined || !runners.includes(runner)) continue;
    const entry = await readEntry(directory, id, runner);
    if (entry) scan.states.push(entry);
  }
  return scan;
}

async function readEntry(directory: string, id: string, runner: string): Promise<StateEntry | undefined> {
  const path = statePath(directory, id);
  try {
    const state = await readState(directory, id);
    const created = Date.parse(state.createdAt);
    const writtenAt = Number.isNaN(created) ? ((await modified(path)) ?? new Date()) : new Date(created);
    return { id, path, runner, state, problem: undefined, writtenAt };
  } catch (err) {
    if (err instanceof DriverError && err.code === "state_missing") return undefined; // a job's cleanup just removed it
    // Damaged or unreadable: its task cannot be known, so the caller must assume it is live while the file is fresh.
    return { id, path, runner, state: undefined, problem: err instanceof Error ? err.message : String(err), writtenAt: (await modified(path)) ?? new Date() };
  }
}

async function modified(path: string): Promise<Date | undefined> {
  try {
    return (await stat(path)).mtime;
  } catch {
    return undefined; // removed meanwhile (a job's cleanup): nothing to do with it
  }
}
