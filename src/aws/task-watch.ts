// Watching a task while something else waits on it (prepare's wait for sshd): a task that dies in
// that window (Spot interruption, essential container exit) should fail prepare at once with ECS's
// reason, not after ReadyTimeout with "connection refused".
import { setTimeout as sleep } from "node:timers/promises";
import type { TaskRuntime } from "./task-runtime.js";

/** How often to ask ECS: rare enough to cost nothing when sshd starts within a second or two. */
export const WATCH_INTERVAL_MS = 2000;

/** Resolves with why the task stopped, or undefined once `signal` aborts; ECS errors are ignored (the wait decides). */
export async function watchUntilStopped(
  runtime: Pick<TaskRuntime, "describeStop">,
  taskArn: string,
  signal: AbortSignal,
  intervalMs = WATCH_INTERVAL_MS,
): Promise<string | undefined> {
  while (!signal.aborted) {
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return undefined;
    try {
      const reason = await runtime.describeStop(taskArn, signal);
      if (reason) return reason;
    } catch {
      // A failed look is no news: the SSH wait still has its own timeout.
    }
  }
  return undefined;
}
