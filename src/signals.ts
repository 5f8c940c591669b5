// Cancellation: GitLab Runner sends SIGTERM to the driver's process group on cancel, timeout or
// shutdown. The stage sees one AbortSignal and ends itself (stopping remote work); if it has not
// ended after a grace period, the driver exits with the system-failure code on its own.
import { DriverError } from "./errors.js";
import type { Logger } from "./log.js";

/** How long a stage may take to end after SIGTERM/SIGINT before the CLI exits on its own. */
export const SIGNAL_GRACE_MS = 30_000;

/** The parts of `process` this needs (a fake in tests). */
export interface SignalTarget {
  on(event: "SIGTERM" | "SIGINT", listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): never | void;
}

/** Returns a signal aborted on the first SIGTERM/SIGINT; exits with `systemCode` if the stage outlives the grace period. */
export function abortOnSignals(
  log: Logger & { failure(message: string): void },
  systemCode: number,
  options: { graceMs?: number; target?: SignalTarget } = {},
): AbortSignal {
  const target = options.target ?? process;
  const graceMs = options.graceMs ?? SIGNAL_GRACE_MS;
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    // Later signals change nothing: the stage is already stopping and the timer already runs.
    if (controller.signal.aborted) return;
    log.warn(`Received ${name}: stopping`);
    controller.abort(new DriverError("cancelled", `interrupted by ${name}`));
    // unref: a stage that ends normally must not be kept waiting for this timer.
    setTimeout(() => {
      log.failure(`the stage did not end within ${Math.round(graceMs / 1000)}s after ${name}; exiting`);
      target.exit(systemCode);
    }, graceMs).unref();
  };
  target.on("SIGTERM", onSignal);
  target.on("SIGINT", onSignal);
  return controller.signal;
}
