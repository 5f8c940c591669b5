// The model's only source of time. Lifecycle logic runs on an injectable clock so unit tests
// can advance a fake one instead of sleeping.

/** Cancels a scheduled callback; calling it after the callback ran is harmless. */
export type Cancel = () => void;

/** Epoch milliseconds and one-shot timers. */
export interface Clock {
  now(): number;
  schedule(ms: number, fn: () => void): Cancel;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A manual clock for unit tests: advance() runs due timers in order and lets promises settle. */
export class FakeClock implements Clock {
  private timers: FakeTimer[] = [];
  private seq = 0;

  constructor(private current = 1_764_787_200_000) {}

  now(): number {
    return this.current;
  }

  schedule(ms: number, fn: () => void): Cancel {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Number of timers not yet run. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, running every timer that falls due (and those they schedule). */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    while (true) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next || next.at > until) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.fn();
      await settle();
    }
    this.current = until;
    await settle();
  }
}

/** Lets pending promise chains (fake runtimes) run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
