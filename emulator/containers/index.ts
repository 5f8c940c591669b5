// The containers module's entry point: the model picks a runtime by name and sees only the port.
import { EmbeddedRuntime } from "./embedded-ssh.js";
import { OpensshRuntime } from "./openssh.js";
import type { ContainerRuntime } from "./types.js";

export type { ConnectionFault, ContainerLaunch, ContainerRuntime, RunningContainer } from "./types.js";

/** Creates a container runtime: "embedded" (ssh2 in-process) or "openssh" (a private sshd per task). */
export function createRuntime(kind: "embedded" | "openssh"): ContainerRuntime {
  switch (kind) {
    case "embedded":
      return new EmbeddedRuntime();
    case "openssh":
      return new OpensshRuntime();
  }
}
