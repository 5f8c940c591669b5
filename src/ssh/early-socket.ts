// A TCP connection to the task opened before ssh2 is even loaded: sshd's per-connection start-up
// (fork, re-exec, privilege separation: tens of milliseconds) then overlaps our module loading.
import { connect, type Socket } from "node:net";

/** A connection in progress, to hand to the first SSH attempt (or to drop if it already failed). */
export interface EarlySocket {
  /** The socket if it is still usable; undefined (and closed) if it failed before anyone listened. */
  take(): Socket | undefined;
}

/** Starts connecting to host:port now. */
export function openEarlySocket(host: string, port: number): EarlySocket {
  const socket = connect({ host, port });
  let failed = false;
  // Until ssh2 attaches its own listeners, an error must not crash the process; the SSH attempt
  // that finds the socket failed connects afresh and reports the error in its own words.
  socket.on("error", () => (failed = true));
  return {
    take() {
      if (!failed && !socket.destroyed) return socket;
      socket.destroy();
      return undefined;
    },
  };
}
