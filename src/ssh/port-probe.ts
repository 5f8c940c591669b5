// Knowing the moment a task's sshd listens, without waiting for the next DescribeTasks poll: a
// plain TCP connect (no SSH, no API quota) tried every few hundred milliseconds. prepare uses it to
// poll ECS at once when the port opens, instead of up to one poll interval later.
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** How often and how long to probe. */
export interface ProbeOptions {
  signal: AbortSignal;
  /** Pause between attempts. */
  intervalMs?: number;
  /** Give up on one attempt after this long (an address that drops SYNs). */
  attemptTimeoutMs?: number;
}

const DEFAULT_INTERVAL_MS = 50;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 1000;

/** One TCP connect: true when host:port accepted it (the connection is closed at once). */
export function portAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Resolves true once host:port accepts a connection, or false when the signal aborts first; never rejects. */
export async function whenPortOpens(host: string, port: number, options: ProbeOptions): Promise<boolean> {
  const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const attemptTimeout = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  while (!options.signal.aborted) {
    if (await portAccepts(host, port, attemptTimeout)) return true;
    await sleep(interval, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return false;
}
