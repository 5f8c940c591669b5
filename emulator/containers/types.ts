// The port between the emulator's task model and a task's "container": the ci-coordinator's
// SSH server and every process started through it. The model decides *when* (RUNNING plus the
// sshd start delay, StopTask, faults); a runtime decides *how* (ssh2 in-process or a private sshd).

/** A fault applied to one accepted TCP connection, decided by the model's fault rules. */
export type ConnectionFault =
  | { kind: "refuse" } // reset the connection at once, before any SSH byte
  | { kind: "dropAfterMs"; ms: number } // cut the TCP connection this long after it was accepted
  | { kind: "changeHostKey" }; // answer this connection with a different, freshly made host key

/** Everything a runtime needs to start one task's ci-coordinator container. */
export interface ContainerLaunch {
  /** The task id (last segment of the task ARN); marks every process of the task. */
  taskId: string;
  /** Loopback IPv4 addresses to listen on: the private one first, then the public one if any. */
  addresses: string[];
  /** The container port of the task definition's port mapping (22 for the seed's task). */
  port: number;
  /** The OpenSSH public key from the container's SSH_PUBLIC_KEY (overrides win); none = no key accepted. */
  authorizedKey: string | undefined;
  /** Per-task working directory, already created; commands run here. */
  workDir: string;
  /** Asked once per accepted TCP connection. */
  connectionFault: () => ConnectionFault | undefined;
  /** Called once if the SSH server ends on its own (not through stop()). */
  onUnexpectedExit: (reason: string) => void;
}

/** A started container. */
export interface RunningContainer {
  /** The task's own host public key, OpenSSH format ("ssh-ed25519 AAAA..."). */
  readonly hostKey: string;
  /** The private sshd's pid (openssh runtime only). */
  readonly sshPid: number | undefined;
  /**
   * SIGTERM every process of the task, SIGKILL whatever is left after stopTimeoutMs, close the
   * SSH server. Resolves with the container's exit code (143 after SIGTERM, 137 if SIGKILL was needed).
   * Calling it again while a stop runs returns that stop, SIGKILLing by the earlier of both deadlines.
   */
  stop(stopTimeoutMs: number): Promise<{ exitCode: number }>;
  /** End the SSH server abruptly, as a crash would; onUnexpectedExit follows. */
  crash(): void;
}

/** One of the two SSH server implementations: "embedded" (ssh2) or "openssh" (a private sshd). */
export interface ContainerRuntime {
  readonly kind: "embedded" | "openssh";
  /** Resolves once the SSH server accepts connections on every address. */
  start(launch: ContainerLaunch): Promise<RunningContainer>;
}
