// The task state machine. Exactly one thing drives a task at any time: either its single pending
// clock timer or the one async step in progress (starting or stopping the container), so no two
// transitions of one task can overlap.
import { mkdirSync } from "node:fs";
import type { ContainerRuntime } from "../containers/types.js";
import type { AddressBlock } from "./addresses.js";
import type { Cancel, Clock } from "./clock.js";
import type { LifecycleDurations } from "./durations.js";
import type { Task, TaskStatus } from "./types.js";
import type { RegionWorld } from "./world.js";
import type { FaultContext, Faults } from "../faults.js";
import { containerStartFailureReason } from "../privileged-ports.js";

/** What the engine needs from the rest of the emulator. */
export interface EngineDeps {
  clock: Clock;
  /** undefined = "--ssh none": containers are simulated, no SSH server. */
  runtime: ContainerRuntime | undefined;
  durations: LifecycleDurations;
  faults: Faults;
  addresses: AddressBlock;
  /** How long STOPPED tasks stay describable. */
  retentionMs: number;
  log: (line: string) => void;
}

interface Runner {
  timer?: Cancel;
  starting?: Promise<void>;
  stopping?: Promise<void>;
  stopWhenRunningAt?: number;
  done: Promise<void>;
  finish: () => void;
}

/** The fault-matching context of a task. */
export function faultContext(task: Task): FaultContext {
  return {
    region: task.region,
    cluster: task.cluster.name,
    family: task.taskDefinition.family,
    subnet: task.eni.subnetId,
    ...(task.capacityProviderName ? { capacityProvider: task.capacityProviderName } : {}),
    ...(task.startedBy ? { startedBy: task.startedBy } : {}),
    group: task.group,
  };
}

/** Drives every task from PROVISIONING to STOPPED. */
export class TaskEngine {
  private readonly runners = new Map<Task, Runner>();

  constructor(private readonly deps: EngineDeps) {}

  /** Starts the lifecycle of a task just created in PROVISIONING. */
  launch(task: Task): void {
    let finish = () => {};
    const done = new Promise<void>((r) => (finish = r));
    this.runners.set(task, { done, finish });
    this.mark(task, "PROVISIONING");
    this.after(task, this.deps.durations.provisioningMs, () => this.enterPending(task));
  }

  /** Resolves once the task is STOPPED. */
  stopped(task: Task): Promise<void> {
    return this.runners.get(task)?.done ?? Promise.resolve();
  }

  /** Asks a task to stop; the first stop request wins (later ones keep its stopCode/reason). */
  requestStop(task: Task, stopCode: string, stoppedReason: string, containerReason?: string): void {
    const runner = this.runners.get(task);
    if (!runner || task.desiredStatus === "STOPPED") return;
    runner.timer?.();
    runner.timer = undefined;
    task.desiredStatus = "STOPPED";
    task.stopCode = stopCode;
    task.stoppedReason = stoppedReason;
    task.stoppingAt = this.deps.clock.now();
    if (containerReason !== undefined) task.containers[task.mainContainer]!.reason = containerReason;
    this.deps.log(`task ${task.id}: stopping (${stopCode}: ${stoppedReason})`);
    this.mark(task, "DEACTIVATING");
    this.after(task, this.deps.durations.deactivatingMs, () => void this.enterStopping(task));
  }

  /** Crashes a task's SSH server (control API); its onUnexpectedExit then stops the task. */
  crash(task: Task): boolean {
    if (!task.running || !task.sshRunning) return false;
    task.running.crash();
    return true;
  }

  /** Stops every task at once, skipping the phase delays (reset, SIGTERM); processes are killed. */
  async shutdown(tasks: Task[], maxStopMs: number): Promise<void> {
    await Promise.all(
      tasks.map(async (task) => {
        const runner = this.runners.get(task);
        if (!runner) return;
        runner.timer?.();
        runner.timer = undefined;
        if (task.desiredStatus !== "STOPPED") {
          task.desiredStatus = "STOPPED";
          task.stopCode ??= "UserInitiated";
          task.stoppedReason ??= "Emulator shut down";
          task.stoppingAt = this.deps.clock.now();
        }
        await runner.starting;
        await this.stopContainer(task, Math.min(task.stopTimeoutMs, maxStopMs));
        this.enterStopped(task);
      }),
    );
  }

  /** Forgets STOPPED tasks older than the retention period. */
  purge(world: RegionWorld): void {
    const cutoff = this.deps.clock.now() - this.deps.retentionMs;
    for (const [id, task] of world.tasks) {
      if (task.lastStatus === "STOPPED" && (task.stoppedAt ?? 0) < cutoff) {
        world.tasks.delete(id);
        this.runners.delete(task);
      }
    }
  }

  private mark(task: Task, status: TaskStatus): void {
    task.lastStatus = status;
    task.version++;
    task.timings[status.toLowerCase()] = this.deps.clock.now();
  }

  /** Schedules the task's next step; the only timer a task ever has. */
  private after(task: Task, ms: number, step: () => void): void {
    const runner = this.runners.get(task)!;
    runner.timer?.();
    runner.timer = this.deps.clock.schedule(ms, () => {
      runner.timer = undefined;
      try {
        step();
      } catch (e) {
        this.deps.log(`task ${task.id}: lifecycle step failed: ${(e as Error).stack ?? e}`);
      }
    });
  }

  private enterPending(task: Task): void {
    const now = this.deps.clock.now();
    task.eni.status = "ATTACHED";
    task.eni.attachedAt = now;
    task.connectivityAt = now;
    this.mark(task, "PENDING");
    task.pullStartedAt = now;
    this.after(task, this.deps.durations.pendingMs, () => this.endPull(task));
  }

  private endPull(task: Task): void {
    task.pullStoppedAt = this.deps.clock.now();
    const fail = task.faults.failToStart;
    if (fail) {
      this.requestStop(task, "TaskFailedToStart", fail.stoppedReason, fail.stoppedReason);
      return;
    }
    this.mark(task, "ACTIVATING");
    this.after(task, this.deps.durations.activatingMs, () => this.enterRunning(task));
  }

  private enterRunning(task: Task): void {
    const now = this.deps.clock.now();
    task.startedAt = now;
    for (const c of task.containers) c.lastStatus = "RUNNING";
    this.mark(task, "RUNNING");
    const runner = this.runners.get(task)!;
    const spot = task.faults.stopWhenRunning;
    if (spot) runner.stopWhenRunningAt = now + spot.afterMs;
    const sshDelay = this.deps.faults.sshStartDelay(faultContext(task)) ?? this.deps.durations.sshdDelayMs;
    if (spot && (spot.afterMs <= sshDelay || !this.deps.runtime)) {
      this.after(task, spot.afterMs, () => this.requestStop(task, spot.stopCode, spot.stoppedReason));
    } else if (this.deps.runtime) {
      this.after(task, sshDelay, () => this.startContainer(task, this.deps.runtime!));
    }
  }

  private startContainer(task: Task, runtime: ContainerRuntime): void {
    const runner = this.runners.get(task)!;
    mkdirSync(task.workDir, { recursive: true });
    const launch = {
      taskId: task.id,
      addresses: task.eni.publicIp ? [task.eni.privateIp, task.eni.publicIp] : [task.eni.privateIp],
      port: task.port,
      authorizedKey: task.authorizedKey,
      workDir: task.workDir,
      connectionFault: () => this.deps.faults.connectionFault(faultContext(task)),
      onUnexpectedExit: (reason: string) => {
        task.sshRunning = false;
        this.deps.log(`task ${task.id}: SSH server exited unexpectedly: ${reason}`);
        this.requestStop(task, "EssentialContainerExited", "Essential container in task exited");
      },
    };
    runner.starting = runtime.start(launch).then(
      (running) => {
        runner.starting = undefined;
        task.running = running;
        task.sshRunning = true;
        task.version++;
        task.timings.sshStarted = this.deps.clock.now();
        if (task.desiredStatus === "STOPPED") return; // the stop sequence picks the container up
        if (runner.stopWhenRunningAt !== undefined) {
          const spot = task.faults.stopWhenRunning!;
          const wait = Math.max(0, runner.stopWhenRunningAt - this.deps.clock.now());
          this.after(task, wait, () => this.requestStop(task, spot.stopCode, spot.stoppedReason));
        }
      },
      (e: unknown) => {
        runner.starting = undefined;
        const reason = containerStartFailureReason(e, task.port);
        this.deps.log(`task ${task.id}: ${reason}`);
        this.requestStop(task, "TaskFailedToStart", reason, reason);
      },
    );
  }

  private async enterStopping(task: Task): Promise<void> {
    this.mark(task, "STOPPING");
    const runner = this.runners.get(task)!;
    await runner.starting; // a start in flight finishes first, then is stopped
    await this.stopContainer(task, task.stopTimeoutMs);
    if (task.lastStatus === "STOPPED") return; // shutdown() overtook us
    task.version++;
    this.after(task, this.deps.durations.stoppingMs, () => {
      this.mark(task, "DEPROVISIONING");
      this.after(task, this.deps.durations.deprovisioningMs, () => this.enterStopped(task));
    });
  }

  /**
   * Stops the container's processes (if it ever started) and records the exit code, once per task.
   * A stop already running is reused, but SIGKILLs by this call's deadline if that is earlier.
   */
  private stopContainer(task: Task, timeoutMs: number): Promise<void> {
    const runner = this.runners.get(task)!;
    if (runner.stopping) {
      void task.running?.stop(timeoutMs).catch(() => undefined); // the first stop reports its outcome
      return runner.stopping;
    }
    runner.stopping = (async () => {
      const main = task.containers[task.mainContainer]!;
      if (task.running) {
        try {
          const { exitCode } = await task.running.stop(timeoutMs);
          main.exitCode = exitCode;
        } catch (e) {
          this.deps.log(`task ${task.id}: stopping the container failed: ${(e as Error).message}`);
        }
        task.sshRunning = false;
      } else if (task.startedAt !== undefined && task.stopCode !== "TaskFailedToStart") {
        // RUNNING but no SSH server (not started yet, or --ssh none): to ECS the container was
        // running, and SIGTERM ended it.
        main.exitCode = 143;
      }
      for (const c of task.containers) c.lastStatus = "STOPPED";
      task.executionStoppedAt = this.deps.clock.now();
    })();
    return runner.stopping;
  }

  private enterStopped(task: Task): void {
    if (task.lastStatus === "STOPPED") return;
    const runner = this.runners.get(task);
    runner?.timer?.();
    task.stoppedAt = this.deps.clock.now();
    task.eni.status = "DETACHED";
    for (const c of task.containers) c.lastStatus = "STOPPED";
    this.mark(task, "STOPPED");
    this.deps.addresses.release(task.eni.privateIp);
    this.deps.addresses.release(task.eni.publicIp);
    this.deps.log(`task ${task.id}: STOPPED (${task.stopCode})`);
    runner?.finish();
  }
}
