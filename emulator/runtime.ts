// Picks the SSH container runtime for --ssh KIND ("none" = containers simulated, no SSH server).
import { createRuntime } from "./containers/index.js";
import type { ContainerRuntime } from "./containers/types.js";

/** The runtime for --ssh KIND; undefined for "none". */
export function loadRuntime(kind: "embedded" | "openssh" | "none"): ContainerRuntime | undefined {
  return kind === "none" ? undefined : createRuntime(kind);
}
