// gc's decisions, pure: given one runner's tasks and state files and the clock, what to stop,
// what to delete and what to leave (and why). Unit-tested without AWS or files.
import type { InventoryTask } from "../aws/task-inventory.js";
import { isRunnersTask, JOB_TAG } from "./ownership.js";
import type { GcOptions } from "./options.js";
import type { StateEntry, TempEntry } from "./state-scan.js";

/** Why a task or file is left alone. */
export type KeepReason = "live" | "young" | "not-ours" | "unknown-state" | "damaged-state";

/** One thing gc does, or decides not to do. */
export type GcDecision =
  /** StopTask; `state` (a stale state file) is deleted once the task is stopped. */
  | { action: "stop"; task: InventoryTask; cluster: string; region: string | undefined; jobId: string | undefined; why: string; state?: StateEntry }
  | { action: "delete-state"; state: StateEntry; why: string }
  | { action: "delete-temp"; temp: TempEntry }
  | { action: "keep"; what: string; reason: KeepReason; why: string };

/** Everything known about one runner when deciding. */
export interface RunnerView {
  token: string;
  /** The configured cluster and region, where ListTasks looked. */
  cluster: string;
  region: string | undefined;
  /** ListTasks(startedBy) → DescribeTasks(include TAGS) in the configured cluster. */
  listed: InventoryTask[];
  states: StateEntry[];
  temps: TempEntry[];
  /** The tasks stale state files name, described in the cluster each state records (absent = unknown to ECS). */
  staleTasks: Map<string, InventoryTask>;
  now: Date;
  options: GcOptions;
}

/** A state file older than --stale-after belongs to a job that is over. */
export function isStale(entry: StateEntry, now: Date, options: GcOptions): boolean {
  return now.getTime() - entry.writtenAt.getTime() >= options.staleAfterMs;
}

/** True when ECS gave the task's creation time and it is at least --older-than ago. */
export function isOldEnough(task: InventoryTask, now: Date, options: GcOptions): boolean {
  return task.createdAt !== undefined && now.getTime() - task.createdAt.getTime() >= options.olderThanMs;
}

/** The decisions for one runner, in a stable order (state files, then listed tasks, then temp files). */
export function planRunner(view: RunnerView): GcDecision[] {
  const { now, options, token } = view;
  const decisions: GcDecision[] = [];
  const fresh = view.states.filter((entry) => !isStale(entry, now, options));
  const liveArns = new Set(fresh.flatMap((entry) => (entry.state ? [entry.state.taskArn] : [])));
  // A fresh state file we cannot read names a task we cannot know: any listed task might be its.
  const unreadableFresh = fresh.filter((entry) => entry.state === undefined);
  const handled = new Set<string>();

  for (const entry of view.states) {
    if (entry.state === undefined) {
      if (isStale(entry, now, options)) {
        decisions.push({ action: "keep", what: `state file ${entry.path}`, reason: "damaged-state", why: `it cannot be used: ${entry.problem ?? "unreadable"}` });
      }
      continue;
    }
    if (!isStale(entry, now, options)) continue;
    const state = entry.state;
    const task = view.staleTasks.get(state.taskArn);
    handled.add(state.taskArn);
    if (task === undefined || task.desiredStatus === "STOPPED") {
      const why = task === undefined ? "stale, and ECS no longer knows its task" : "stale, and its task is already stopped";
      decisions.push({ action: "delete-state", state: entry, why });
    } else if (!isRunnersTask(task, token)) {
      decisions.push({ action: "keep", what: `task ${task.arn}`, reason: "not-ours", why: `state file ${entry.path} names it, but it does not carry runner ${token}'s markers` });
    } else if (liveArns.has(task.arn)) {
      decisions.push({ action: "keep", what: `task ${task.arn}`, reason: "live", why: "a fresh state file names it too" });
    } else if (!isOldEnough(task, now, options)) {
      decisions.push({ action: "keep", what: `task ${task.arn}`, reason: "young", why: "younger than --older-than" });
    } else {
      decisions.push({
        action: "stop",
        task,
        cluster: state.cluster,
        region: state.region ?? view.region,
        jobId: state.jobId,
        why: `its job's state file is stale (written ${formatAge(now.getTime() - entry.writtenAt.getTime())} ago)`,
        state: entry,
      });
    }
  }

  for (const task of view.listed) {
    if (handled.has(task.arn)) continue;
    const what = `task ${task.arn}`;
    if (!isRunnersTask(task, token)) {
      // ListTasks filtered on startedBy already; the tags must agree too.
      decisions.push({ action: "keep", what, reason: "not-ours", why: `it does not carry all of runner ${token}'s markers` });
    } else if (task.desiredStatus !== "RUNNING") {
      continue; // already being stopped (ListTasks may return recently stopped tasks)
    } else if (liveArns.has(task.arn)) {
      decisions.push({ action: "keep", what, reason: "live", why: "a live job's state file names it" });
    } else if (!isOldEnough(task, now, options)) {
      decisions.push({ action: "keep", what, reason: "young", why: "younger than --older-than" });
    } else if (unreadableFresh.length > 0) {
      decisions.push({ action: "keep", what, reason: "unknown-state", why: `state file ${unreadableFresh[0]?.path} cannot be read, so its job's task is unknown` });
    } else {
      decisions.push({ action: "stop", task, cluster: view.cluster, region: view.region, jobId: task.tags[JOB_TAG], why: "no live job owns it" });
    }
  }

  for (const temp of view.temps) {
    // A state write takes milliseconds: an old temp file is what a SIGKILL mid-write leaves.
    if (now.getTime() - temp.writtenAt.getTime() >= options.olderThanMs) decisions.push({ action: "delete-temp", temp });
  }
  return decisions;
}

/** A short age for output lines: "45s", "12m", "2h", "3h20m", "2d". */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.floor(ms / 1000))}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return `${Math.floor(hours / 24)}d`;
  const rest = minutes % 60;
  return rest === 0 || hours >= 10 ? `${hours}h` : `${hours}h${rest}m`;
}
