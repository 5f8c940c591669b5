// Backing off when AWS asks us to: full jitter (a random pause up to an exponentially growing cap),
// so many runners throttled at the same moment do not retry in lockstep, and every pause ends at
// once when the stage is cancelled.
import { setTimeout as sleep } from "node:timers/promises";
import { DriverError } from "../errors.js";
import { isThrottling } from "./polling.js";

/** Full jitter: a random pause in [0, min(capMs, baseMs × 2^(attempt-1))). */
export function fullJitterMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(attempt - 1, 0)));
}

/** Sleeps, or throws DriverError "cancelled" (saying what was being waited for) as soon as the signal aborts. */
export async function pause(ms: number, signal: AbortSignal | undefined, waitingFor: string): Promise<void> {
  if (!signal?.aborted) await sleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
  if (signal?.aborted) {
    // AbortSignal.timeout() bounds some callers: that is not the job being cancelled.
    const timedOut = (signal.reason as { name?: unknown } | undefined)?.name === "TimeoutError";
    throw new DriverError("cancelled", `${timedOut ? "timed out" : "cancelled (SIGTERM)"} while ${waitingFor}`);
  }
}

/** How long to keep retrying a throttled call, and what may cut it short. */
export interface ThrottleRetryOptions {
  /** Give up (rethrow the throttling error) once this much time has passed. */
  budgetMs: number;
  /** Ends the pauses (not a call in flight); undefined for calls that must be tried to the end (StopTask). */
  signal?: AbortSignal;
  /** Named in the cancellation message, e.g. "RunTask was throttled". */
  what: string;
  /** Told about every throttled attempt (for debug logs). */
  onThrottled?: (attempt: number, pauseMs: number) => void;
}

/** How long throttling that outlasts the SDK's quick retries is ridden out before giving up. */
export const THROTTLE_BUDGET_MS = 60_000;

// After the SDK's own quick retries: from 0.25 s up to 5 s between attempts (ECS buckets refill 20/s).
const BASE_MS = 250;
const CAP_MS = 5000;

/**
 * Calls `call` until it does not fail with throttling, pausing with full jitter in between.
 * The SDK already retried a few times within each call; this rides out a bucket that stays empty longer.
 */
export async function retryThrottled<T>(call: () => Promise<T>, options: ThrottleRetryOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isThrottling(err)) throw err;
      const delay = fullJitterMs(attempt, BASE_MS, CAP_MS);
      if (Date.now() - started + delay > options.budgetMs) throw err;
      options.onThrottled?.(attempt, delay);
      await pause(delay, options.signal, `${options.what} (throttled by AWS, retrying)`);
    }
  }
}
