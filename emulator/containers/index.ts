// The containers module's entry point: the model picks a runtime by name and sees only the port.
//
// Both runtimes behave alike: login as any /etc/passwd user with exactly the task's key (ed25519,
// RSA or ECDSA); commands run with bash in the work dir, with a small container-like environment
// plus FARGATE_EMULATOR_TASK=<taskId>, never the emulator's own. Where they differ, it is because
// the embedded one cannot be sshd:
// - embedded runs every command as the emulator's own user, whatever the login name; openssh's
//   sshd reads the key file and runs commands as the logged-in user, so in practice only root
//   gets in (the key file is root's), as in the task image;
// - embedded forwards `signal` requests to the command's process group and SIGHUPs commands still
//   running when their connection drops; OpenSSH 9.2 refuses signal requests in root sessions and
//   sends no SIGHUP without a pty, so the openssh runtime, like the real image, does neither;
// - openssh keeps its config, host keys and authorized_keys in <workDir>/.sshd.
// FARGATE_EMULATOR_SSHD_LOG=1 copies each private sshd's log to the emulator's stderr.
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
