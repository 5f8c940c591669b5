// The emulator's state, assembled in one place: world, task engine, faults, throttling, request
// log. The server and control API act on it; nothing here knows about HTTP.
import { rmSync } from "node:fs";
import path from "node:path";
import type { ContainerRuntime } from "./containers/types.js";
import { AddressBlock, type BindProbe, probeBind } from "./model/addresses.js";
import { type Clock, systemClock } from "./model/clock.js";
import { fargateDurations, type LifecycleDurations, scaleDurations } from "./model/durations.js";
import { seedRegion } from "./model/seed.js";
import { TaskEngine } from "./model/task-engine.js";
import type { Task } from "./model/types.js";
import { World } from "./model/world.js";
import { AwsError, messageForError, statusForError } from "./errors.js";
import { Faults } from "./faults.js";
import { RequestLog } from "./request-log.js";
import { Throttle } from "./throttle.js";

/** How long stopAll (reset, SIGTERM) lets a task's processes handle SIGTERM before SIGKILL. */
export const shutdownStopTimeoutMs = 5_000;

/** Settings decided by the CLI (or a test). */
export interface EmulatorConfig {
  region: string;
  timeScale: number;
  /** Per-task working directories are created under `${workDir}/tasks/`. */
  workDir: string;
  /** sshd start delay after RUNNING at time scale 1 (scaled like every other duration). */
  sshdDelayMs?: number;
  throttle: boolean;
  addressBlock: number;
  /** undefined = containers simulated without an SSH server ("--ssh none"). */
  runtime: ContainerRuntime | undefined;
  clock?: Clock;
  probe?: BindProbe;
  log?: (line: string) => void;
}

/** One emulated AWS account (ECS + a bit of EC2). */
export class Emulator {
  readonly clock: Clock;
  readonly addresses: AddressBlock;
  readonly world: World;
  readonly faults = new Faults();
  readonly throttle: Throttle;
  readonly requests = new RequestLog();
  readonly engine: TaskEngine;
  readonly durations: LifecycleDurations;
  readonly startedAt: number;
  private readonly log: (line: string) => void;
  // RunTask calls creating tasks right now: stopAll waits for them, then stops their tasks too.
  private readonly launchesInFlight = new Set<Promise<unknown>>();
  // "resetting" and "closed" refuse new task launches (closed: for good, the process is exiting).
  private launchGate: "open" | "resetting" | "closed" = "open";

  constructor(readonly config: EmulatorConfig) {
    this.clock = config.clock ?? systemClock;
    this.log = config.log ?? (() => {});
    this.addresses = new AddressBlock(config.addressBlock, config.probe ?? probeBind);
    this.world = new World(config.region, (w) => seedRegion(w, this.addresses, this.clock.now()));
    this.throttle = new Throttle(config.throttle);
    this.durations = scaleDurations({ ...fargateDurations, sshdDelayMs: config.sshdDelayMs ?? fargateDurations.sshdDelayMs }, config.timeScale);
    this.engine = new TaskEngine({
      clock: this.clock,
      runtime: config.runtime,
      durations: this.durations,
      faults: this.faults,
      addresses: this.addresses,
      retentionMs: 3_600_000,
      log: this.log,
    });
    this.startedAt = Date.now();
  }

  /** Every task of every region. */
  tasks(): Task[] {
    return this.world.all().flatMap((w) => [...w.tasks.values()]);
  }

  /**
   * Runs RunTask's task creation. Refused (ServerException, which clients retry) while a reset or
   * shutdown is stopping every task, so none is launched behind its back.
   */
  async launching<T>(create: () => Promise<T>): Promise<T> {
    if (this.launchGate !== "open") throw new AwsError("ServerException", messageForError("ServerException"), statusForError("ServerException"));
    const creating = create();
    this.launchesInFlight.add(creating);
    try {
      return await creating;
    } finally {
      this.launchesInFlight.delete(creating);
    }
  }

  /** Stops every task (processes killed), then restores the seeded world, faults and throttling. */
  async reset(): Promise<void> {
    if (this.launchGate === "open") this.launchGate = "resetting";
    try {
      await this.stopAll();
      for (const task of this.tasks()) rmSync(task.workDir, { recursive: true, force: true });
      for (const w of this.world.all()) for (const id of w.subnets.keys()) this.addresses.releaseSubnet(`${w.region}/${id}`);
      this.world.reset();
      this.faults.clear();
      this.throttle.reset();
      this.requests.clear();
    } finally {
      if (this.launchGate === "resetting") this.launchGate = "open";
    }
  }

  /** Refuses every further launch and stops every task (SIGTERM/SIGINT). */
  async shutdown(): Promise<void> {
    this.launchGate = "closed";
    await this.stopAll();
  }

  /**
   * Stops every task that is not STOPPED yet, without the lifecycle's delays, including those of
   * RunTask calls still in flight; SIGKILL after shutdownStopTimeoutMs even if a stop is running.
   */
  async stopAll(): Promise<void> {
    const handled = new Set<Task>();
    for (;;) {
      await Promise.allSettled([...this.launchesInFlight]);
      const live = this.tasks().filter((t) => t.lastStatus !== "STOPPED" && !handled.has(t));
      if (live.length === 0 && this.launchesInFlight.size === 0) return;
      for (const t of live) handled.add(t);
      await this.engine.shutdown(live, shutdownStopTimeoutMs);
    }
  }

  /** Where a task's working directory lives. */
  taskWorkDir(taskId: string): string {
    return path.join(this.config.workDir, "tasks", taskId);
  }
}
