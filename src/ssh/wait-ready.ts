// Waiting until the task's sshd accepts our key: a task is RUNNING before its sshd listens
// (the Go driver's "connection refused", #34), so refused/reset/timed-out attempts are retried
// until ReadyTimeout, each attempt bounded by ConnectTimeout.
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { DriverError } from "../errors.js";
import { connectSsh, SshConnectError, type SshConnection, type SshTarget } from "./connect.js";

/** Retry bounds for the readiness wait. */
export interface WaitReadyOptions {
  readyTimeoutMs: number;
  connectTimeoutMs: number;
  signal: AbortSignal;
  /** Stop after this many attempts even if time remains (run's quick reconnects). */
  maxAttempts?: number;
  /** The recorded host key (run); a different one fails at once. */
  expectedHostKey?: string;
  /** A TCP connection already opened to the target, used by the first attempt. */
  firstSocket?: Socket;
  /** Told about each failed attempt (for debug logs). */
  onRetry?: (attempt: number, reason: string) => void;
}

// Authentication can fail for a moment if the image writes authorized_keys after starting sshd.
const MAX_AUTH_FAILURES = 3;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1000;

/** The pause before the next attempt: short at first (sshd usually starts within a second), then growing. */
export function retryDelayMs(attempt: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** Math.max(attempt - 1, 0), MAX_DELAY_MS);
}

/** True when another attempt may succeed. */
export function isRetryable(err: SshConnectError, authFailures: number): boolean {
  if (err.kind === "auth") return authFailures < MAX_AUTH_FAILURES;
  return err.kind === "refused" || err.kind === "reset" || err.kind === "timeout" || err.kind === "unreachable" || err.kind === "other";
}

/** Connects until sshd accepts our key; returns the open connection and the host key it presented. */
export async function waitForSsh(target: SshTarget, options: WaitReadyOptions): Promise<SshConnection & { attempts: number }> {
  const deadline = Date.now() + options.readyTimeoutMs;
  let authFailures = 0;
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - Date.now();
    try {
      const connection = await connectSsh(target, {
        timeoutMs: Math.max(Math.min(options.connectTimeoutMs, remaining), 1),
        signal: options.signal,
        expectedHostKey: options.expectedHostKey,
        socket: attempt === 1 ? options.firstSocket : undefined,
      });
      return { ...connection, attempts: attempt };
    } catch (err) {
      if (!(err instanceof SshConnectError)) throw err;
      if (err.kind === "aborted") throw new DriverError("cancelled", "cancelled while waiting for SSH");
      if (err.kind === "auth") authFailures++;
      const delay = retryDelayMs(attempt);
      const outOfAttempts = options.maxAttempts !== undefined && attempt >= options.maxAttempts;
      if (!isRetryable(err, authFailures) || outOfAttempts || Date.now() + delay >= deadline) {
        const waited = attempt > 1 ? ` (gave up after ${attempt} attempts)` : "";
        throw new SshConnectError(err.kind, `${err.message}${waited}`, { cause: err });
      }
      options.onRetry?.(attempt, err.message);
      await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
      if (options.signal.aborted) throw new DriverError("cancelled", "cancelled while waiting for SSH");
    }
  }
}
