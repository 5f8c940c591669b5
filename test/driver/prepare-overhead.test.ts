// What prepare adds on top of the (emulated) platform: wall time of prepareStage minus the time
// the emulator itself took from creating the task to its sshd listening. Polling granularity
// (500 ms) and the SSH handshake are most of it; the median is printed as a test diagnostic.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cleanupStage } from "../../src/stages/cleanup.js";
import { prepareStage } from "../../src/stages/prepare.js";
import { readState } from "../../src/state/state-file.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoTaskRunning, newJob, seededConfig, stageContext, tempDir, useEmulatorEnv } from "./stages-e2e-support.js";

const RUNS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

describe("prepare overhead", () => {
  let emulator: EmulatorHandle;
  const stateDir = tempDir("fargate-state-");

  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.02 });
    useEmulatorEnv(emulator);
  });
  after(async () => {
    await emulator?.stop();
  });

  it(`stays well under a second beyond the platform's own start time (median of ${RUNS})`, async (t) => {
    const config = seededConfig(stateDir);
    const overheads: number[] = [];
    const platform: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const job = newJob();
      const started = Date.now();
      await prepareStage(stageContext(config, job).ctx);
      const total = Date.now() - started;
      const state = await readState(stateDir, job.id);
      const task = (await emulator.tasks()).find((x) => x.taskArn === state.taskArn);
      const timings = task?.timings ?? {};
      const emulated = (timings.sshStarted ?? NaN) - (timings.provisioning ?? NaN);
      overheads.push(total - emulated);
      platform.push(emulated);
      await cleanupStage(stageContext(config, job).ctx);
    }
    t.diagnostic(`platform (created → sshd listening) median ${median(platform)} ms; prepare overhead median ${median(overheads)} ms; all ${overheads.join(", ")} ms`);
    assert.ok(median(overheads) < 2000, `median overhead ${median(overheads)} ms`);
    await assertNoTaskRunning(emulator);
  });
});
