// What an SSH session sees, kept the same in both runtimes: a small container-like environment,
// never the emulator's own, plus the task marker.
import { readFileSync } from "node:fs";

/** The PATH a Debian sshd gives root sessions. */
export const SESSION_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The shell every command runs with (the task image's login shell for root). */
export const SESSION_SHELL = "/bin/bash";

/**
 * Variables sshd does not set by itself; the openssh runtime passes them with SetEnv. SHLVL=1
 * stops bash from reading the host's ~/.bashrc as an sshd-started shell would: the task image's
 * root has none that matters, this machine's root may have anything.
 */
export const EXTRA_SESSION_ENV: Record<string, string> = { LANG: "C.UTF-8", PATH: SESSION_PATH, SHLVL: "1" };

/** A user from /etc/passwd. */
export interface PasswdUser {
  name: string;
  home: string;
}

/** Looks a user up in /etc/passwd (read each time: it is small and may change). */
export function findUser(name: string): PasswdUser | undefined {
  let passwd: string;
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 7 && fields[0] === name && name !== "" && !name.startsWith("+")) {
      return { name, home: fields[5] || "/" };
    }
  }
  return undefined;
}

/** The environment of a session's command in the embedded runtime (sshd builds its own alike). */
export function sessionEnv(user: PasswdUser, markerEntry: string): Record<string, string> {
  const eq = markerEntry.indexOf("=");
  return {
    ...EXTRA_SESSION_ENV,
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    SHELL: SESSION_SHELL,
    [markerEntry.slice(0, eq)]: markerEntry.slice(eq + 1),
  };
}
