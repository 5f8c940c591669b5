// SIGTERM/SIGINT: one abort for the stage, and an exit with the system-failure code after the grace period.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { abortOnSignals, type SignalTarget } from "../../src/signals.js";

function fakes() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const target: SignalTarget = {
    on: (event, listener) => emitter.on(event, listener),
    exit: (code: number) => {
      exits.push(code);
    },
  };
  const lines: string[] = [];
  const log = {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg: string) => lines.push(`warn: ${msg}`),
    error: () => undefined,
    failure: (msg: string) => lines.push(`failure: ${msg}`),
  };
  return { emitter, exits, target, lines, log };
}

describe("cli: signals", () => {
  it("aborts the stage's signal on SIGTERM, once, and exits with the system code after the grace period", async () => {
    const { emitter, exits, target, lines, log } = fakes();
    const signal = abortOnSignals(log, 42, { graceMs: 30, target });
    assert.equal(signal.aborted, false);
    emitter.emit("SIGTERM", "SIGTERM");
    emitter.emit("SIGINT", "SIGINT");
    assert.equal(signal.aborted, true);
    assert.match(String((signal.reason as Error).message), /interrupted by SIGTERM/);
    assert.deepEqual(exits, []);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(exits, [42]);
    assert.deepEqual(lines, ["warn: Received SIGTERM: stopping", "failure: the stage did not end within 0s after SIGTERM; exiting"]);
  });

  it("SIGINT works the same", () => {
    const { emitter, target, log } = fakes();
    const signal = abortOnSignals(log, 42, { graceMs: 10_000, target });
    emitter.emit("SIGINT", "SIGINT");
    assert.equal(signal.aborted, true);
  });
});
