// `fargate gc`: stop the tasks of this host's runners that no live job owns, and delete the state
// files of jobs that are long over. Order matters for safety: the tasks are listed first and the
// state files read after, so a task whose prepare wrote its state before gc looked is never taken
// for an orphan; a prepare that writes its state later started a task younger than --older-than.
import type { DriverConfig } from "../config/types.js";
import { formatDuration } from "../config/duration.js";
import { createTaskInventory, type InventoryTask, type TaskInventory } from "../aws/task-inventory.js";
import { DriverError } from "../errors.js";
import type { Logger } from "../log.js";
import { deleteState } from "../state/state-file.js";
import { unlink } from "node:fs/promises";
import type { GcOptions } from "./options.js";
import { runnerStartedBy } from "./ownership.js";
import { formatAge, type GcDecision, planRunner } from "./plan.js";
import { scanStateDirectory, type StateEntry } from "./state-scan.js";

/** What one gc run needs. */
export interface GcContext {
  config: DriverConfig;
  options: GcOptions;
  /** Warnings and details (stderr or the LogFile). */
  log: Logger;
  /** One line per action and the summary. */
  stdout: NodeJS.WritableStream;
  signal: AbortSignal;
  now?: () => Date;
  makeInventory?: (cluster: string, region: string | undefined) => TaskInventory;
}

/** The StopTask reason, visible on the stopped task in the console and DescribeTasks. */
export function stopReason(why: string): string {
  return `Stopped by fargate gc (gitlab-fargate-driver): ${why}`;
}

/** Runs gc once; throws a DriverError when AWS or the files failed (after doing what it could). */
export async function runGc(ctx: GcContext): Promise<void> {
  const { config, options } = ctx;
  const now = (ctx.now ?? (() => new Date()))();
  const inventories = new Map<string, TaskInventory>();
  const inventory = (cluster: string, region: string | undefined): TaskInventory => {
    const key = `${region ?? ""}\u0000${cluster}`;
    let found = inventories.get(key);
    if (!found) {
      found = (ctx.makeInventory ?? createTaskInventory)(cluster, region);
      inventories.set(key, found);
    }
    return found;
  };
  const { cluster, region } = config.fargate;
  try {
    const listed = new Map<string, InventoryTask[]>();
    for (const token of options.runners) {
      listed.set(token, await inventory(cluster, region).listStartedBy(runnerStartedBy(token), ctx.signal));
    }
    const scan = await scanStateDirectory(config.taskMetadata.directory, options.runners);
    const staleTasks = await describeStaleTasks(scan.states, now, options, region, inventory, ctx.signal);
    const decisions = options.runners.flatMap((token) =>
      planRunner({
        token,
        cluster,
        region,
        listed: listed.get(token) ?? [],
        states: scan.states.filter((entry) => entry.runner === token),
        temps: scan.temps.filter((temp) => temp.runner === token),
        staleTasks,
        now,
        options,
      }),
    );
    await carryOut(ctx, decisions, now, inventory);
  } finally {
    for (const item of inventories.values()) item.close();
  }
}

// The tasks stale state files name, described where each state says its task runs.
async function describeStaleTasks(
  states: StateEntry[],
  now: Date,
  options: GcOptions,
  defaultRegion: string | undefined,
  inventory: (cluster: string, region: string | undefined) => TaskInventory,
  signal: AbortSignal,
): Promise<Map<string, InventoryTask>> {
  const groups = new Map<string, { cluster: string; region: string | undefined; arns: string[] }>();
  for (const entry of states) {
    if (!entry.state || now.getTime() - entry.writtenAt.getTime() < options.staleAfterMs) continue;
    const region = entry.state.region ?? defaultRegion;
    const key = `${region ?? ""}\u0000${entry.state.cluster}`;
    const group = groups.get(key) ?? { cluster: entry.state.cluster, region, arns: [] };
    group.arns.push(entry.state.taskArn);
    groups.set(key, group);
  }
  const found = new Map<string, InventoryTask>();
  for (const group of groups.values()) {
    for (const task of await inventory(group.cluster, group.region).describe(group.arns, signal)) found.set(task.arn, task);
  }
  return found;
}

interface Tally {
  stopped: number;
  deletedStates: number;
  deletedTemps: number;
  live: number;
  young: number;
  other: number;
  failed: number;
}

async function carryOut(
  ctx: GcContext,
  decisions: GcDecision[],
  now: Date,
  inventory: (cluster: string, region: string | undefined) => TaskInventory,
): Promise<void> {
  const { options, log } = ctx;
  const would = options.dryRun ? "would " : "";
  const tally: Tally = { stopped: 0, deletedStates: 0, deletedTemps: 0, live: 0, young: 0, other: 0, failed: 0 };
  const print = (line: string) => ctx.stdout.write(`${line}\n`);
  for (const decision of decisions) {
    if (ctx.signal.aborted) throw interrupted();
    switch (decision.action) {
      case "keep":
        if (decision.reason === "live") tally.live++;
        else if (decision.reason === "young") tally.young++;
        else tally.other++;
        if (decision.reason === "live" || decision.reason === "young") log.debug(`Left ${decision.what}: ${decision.why}`);
        else log.warn(`Left ${decision.what}: ${decision.why}`);
        break;
      case "stop": {
        const task = decision.task;
        const started = task.createdAt ? `, started ${formatAge(now.getTime() - task.createdAt.getTime())} ago` : "";
        const line = `task ${task.arn} (job ${decision.jobId ?? "unknown"}${started}): ${decision.why}`;
        if (!options.dryRun) {
          try {
            await inventory(decision.cluster, decision.region).stop(task.arn, stopReason(decision.why), ctx.signal);
          } catch (err) {
            if (ctx.signal.aborted) throw interrupted();
            tally.failed++;
            log.error(`${err instanceof Error ? err.message : String(err)}; check that the driver's IAM role may call ecs:StopTask`);
            break;
          }
        }
        tally.stopped++;
        print(`${would}stop${options.dryRun ? "" : "ped"} ${line}`);
        if (decision.state) await removeState(ctx, decision.state, options.dryRun ? "once its task is stopped" : "its task is stopped", now, tally);
        break;
      }
      case "delete-state":
        await removeState(ctx, decision.state, decision.why, now, tally);
        break;
      case "delete-temp":
        if (!options.dryRun) {
          try {
            await unlink(decision.temp.path);
          } catch (err) {
            if ((err as { code?: unknown }).code !== "ENOENT") {
              tally.failed++;
              log.error(`deleting the leftover temporary file "${decision.temp.path}": ${(err as Error).message}`);
              break;
            }
          }
        }
        tally.deletedTemps++;
        print(
          `${options.dryRun ? "would delete" : "deleted"} leftover temporary file ${decision.temp.path} ` +
            `(written ${formatAge(now.getTime() - decision.temp.writtenAt.getTime())} ago): an interrupted state write`,
        );
        break;
    }
  }
  print(summary(tally, options));
  if (tally.failed > 0) {
    throw new DriverError("gc_incomplete", `fargate gc: ${tally.failed} action(s) failed (see the errors above); run it again once the cause is fixed`);
  }
}

function interrupted(): DriverError {
  return new DriverError("cancelled", "fargate gc: interrupted; the actions printed above were done");
}

async function removeState(ctx: GcContext, entry: StateEntry, why: string, now: Date, tally: Tally): Promise<void> {
  const { options, log } = ctx;
  if (!options.dryRun) {
    try {
      await deleteState(ctx.config.taskMetadata.directory, entry.id);
    } catch (err) {
      tally.failed++;
      log.error(err instanceof Error ? err.message : String(err));
      return;
    }
  }
  tally.deletedStates++;
  const job = entry.state?.jobId ?? "unknown";
  ctx.stdout.write(
    `${options.dryRun ? "would delete" : "deleted"} state file ${entry.path} (job ${job}, written ${formatAge(now.getTime() - entry.writtenAt.getTime())} ago): ${why}\n`,
  );
}

function summary(tally: Tally, options: GcOptions): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const verb = options.dryRun ? "would stop" : "stopped";
  const del = options.dryRun ? "would delete" : "deleted";
  const done = `${verb} ${plural(tally.stopped, "task")}, ${del} ${plural(tally.deletedStates, "state file")}` +
    (tally.deletedTemps > 0 ? ` and ${plural(tally.deletedTemps, "temporary file")}` : "");
  const left = `left alone ${plural(tally.live, "task")} of live jobs, ${tally.young} younger than ${formatDuration(options.olderThanMs)}` +
    (tally.other > 0 ? `, ${tally.other} needing a look (see the warnings)` : "");
  const tail = options.dryRun ? "nothing was changed" : `${plural(tally.failed, "failure")}`;
  return `gc${options.dryRun ? " (dry run)" : ""}: ${done}; ${left}; ${tail}`;
}
