// Polling decisions for waiting on a task, kept pure so they are unit-tested without clocks.

/** How often to ask DescribeTasks while nothing goes wrong: fine-grained, so start latency is not padded. */
export const POLL_INTERVAL_MS = 500;

/** The longest pause between polls after repeated throttling. */
export const MAX_POLL_INTERVAL_MS = 5000;

/** The next pause: double on throttling (up to the cap), back to the base interval otherwise. */
export function nextPollDelay(currentMs: number, throttled: boolean): number {
  if (!throttled) return POLL_INTERVAL_MS;
  return Math.min(Math.max(currentMs, POLL_INTERVAL_MS) * 2, MAX_POLL_INTERVAL_MS);
}

/** True for the errors that mean "ask less often" rather than "give up". */
export function isThrottling(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === "ThrottlingException" || name === "RequestLimitExceeded" || name === "TooManyRequestsException";
}

/** Seconds with one decimal, for log lines: 1234 → "1.2". */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
