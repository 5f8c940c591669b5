// The part of a running container both runtimes share: the stop sequence (stop accepting,
// SIGTERM everything, SIGKILL stragglers, close the servers) and the one-time unexpected exit.
import type { FrontDoor } from "./front-door.js";
import type { TaskProcesses } from "./processes.js";
import type { ContainerLaunch } from "./types.js";

/** The exit code of a container whose main process had to be SIGKILLed. */
export const EXIT_SIGKILL = 137;
/** The exit code of a container whose main process ended on SIGTERM. */
export const EXIT_SIGTERM = 143;

/** How a runtime's SSH server(s) are ended. */
export interface ServerControl {
  /** Closes the server(s) once the task's processes are gone (stop). */
  close(): Promise<void>;
  /** Ends the server(s) at once, cutting every connection (crash). */
  kill(): void;
}

/** Stop and crash handling for one started container. */
export class ContainerLifecycle {
  private stopping: Promise<{ exitCode: number }> | undefined;
  private crashExitCode: number | undefined;

  constructor(
    private readonly launch: ContainerLaunch,
    private readonly processes: TaskProcesses,
    private readonly frontDoor: FrontDoor,
    private readonly servers: ServerControl,
  ) {}

  /** False once the container is stopping or dead: no new sessions then. */
  get accepting(): boolean {
    return this.stopping === undefined && this.crashExitCode === undefined;
  }

  /**
   * See RunningContainer.stop; every call returns the first call's result, but a later call with
   * a shorter timeout brings the SIGKILL forward (shutdown overtaking a StopTask's 30 s).
   */
  stop(stopTimeoutMs: number): Promise<{ exitCode: number }> {
    this.processes.hurry(stopTimeoutMs);
    this.stopping ??= this.runStop(stopTimeoutMs);
    return this.stopping;
  }

  /**
   * The SSH server ended without stop(): the container is dead, so like a PID namespace losing
   * its init, every process of the task is killed. exitCode is what stop() reports afterwards.
   */
  ended(reason: string, exitCode: number): void {
    if (!this.accepting) return;
    this.crashExitCode = exitCode;
    this.servers.kill();
    void this.frontDoor.close();
    void this.processes.killAll();
    // Asynchronously, so crash() never re-enters the caller's code.
    setImmediate(() => this.launch.onUnexpectedExit(reason));
  }

  private async runStop(stopTimeoutMs: number): Promise<{ exitCode: number }> {
    this.frontDoor.stopListening();
    const { killed } = await this.processes.terminate(stopTimeoutMs);
    await this.servers.close();
    await this.frontDoor.close();
    return { exitCode: this.crashExitCode ?? (killed ? EXIT_SIGKILL : EXIT_SIGTERM) };
  }
}
