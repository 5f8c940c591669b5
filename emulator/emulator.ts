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
import { Faults } from "./faults.js";
import { RequestLog } from "./request-log.js";
import { Throttle } from "./throttle.js";

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

  /** Stops every task (processes killed), then restores the seeded world, faults and throttling. */
  async reset(): Promise<void> {
    await this.stopAll();
    for (const task of this.tasks()) rmSync(task.workDir, { recursive: true, force: true });
    for (const w of this.world.all()) for (const id of w.subnets.keys()) this.addresses.releaseSubnet(`${w.region}/${id}`);
    this.world.reset();
    this.faults.clear();
    this.throttle.reset();
    this.requests.clear();
  }

  /** Stops every task that is not STOPPED yet, without the lifecycle's delays. */
  async stopAll(): Promise<void> {
    await this.engine.shutdown(this.tasks().filter((t) => t.lastStatus !== "STOPPED"), 5_000);
  }

  /** Where a task's working directory lives. */
  taskWorkDir(taskId: string): string {
    return path.join(this.config.workDir, "tasks", taskId);
  }
}
