// cleanup's edge cases against the emulator: an AWS failure keeps the state file (and a later
// cleanup succeeds), a task already stopped or unknown to ECS is fine, no state file is a warning.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { DriverError } from "../../src/errors.js";
import { cleanupStage } from "../../src/stages/cleanup.js";
import { prepareStage } from "../../src/stages/prepare.js";
import { readState, statePath, writeState } from "../../src/state/state-file.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoTaskRunning, newJob, seededConfig, stageContext, tempDir, useEmulatorEnv } from "./stages-e2e-support.js";

describe("cleanup", () => {
  let emulator: EmulatorHandle;
  const stateDir = tempDir("fargate-state-");
  const config = seededConfig(stateDir);

  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.02 });
    useEmulatorEnv(emulator);
  });
  after(async () => {
    await emulator?.stop();
  });

  it("keeps the state file when StopTask fails, and succeeds on the next call", async () => {
    const job = newJob();
    await prepareStage(stageContext(config, job).ctx);
    const state = await readState(stateDir, job.id);
    await emulator.addFaults([{ op: "StopTask", error: "AccessDeniedException", message: "not authorized to perform ecs:StopTask", times: 1 }]);
    await assert.rejects(cleanupStage(stageContext(config, job).ctx), (err: unknown) => {
      assert.ok(err instanceof DriverError && err.failureClass === "system");
      assert.equal(err.message, `stopping Fargate Task "${state.taskArn}": AccessDeniedException: not authorized to perform ecs:StopTask`);
      return true;
    });
    assert.equal(existsSync(statePath(stateDir, job.id)), true);
    const task = (await emulator.tasks()).find((t) => t.taskArn === state.taskArn);
    assert.equal(task?.desiredStatus, "RUNNING");

    const retry = stageContext(config, job);
    await cleanupStage(retry.ctx);
    assert.equal(existsSync(statePath(stateDir, job.id)), false);
    const stopped = (await emulator.tasks()).find((t) => t.taskArn === state.taskArn);
    assert.equal(stopped?.stoppedReason, `Job ${job.jobId} finished (gitlab-fargate-driver cleanup)`);
    await assertNoTaskRunning(emulator);
  });

  it("is fine with a task that is already stopped or that ECS does not know", async () => {
    const job = newJob();
    await prepareStage(stageContext(config, job).ctx);
    const state = await readState(stateDir, job.id);
    await cleanupStage(stageContext(config, job).ctx);
    await writeState(stateDir, state); // as if an earlier cleanup died before deleting the file
    await cleanupStage(stageContext(config, job).ctx);
    assert.equal(existsSync(statePath(stateDir, job.id)), false);

    const unknown = newJob();
    await writeState(stateDir, {
      ...state,
      id: unknown.id,
      jobId: unknown.jobId,
      taskArn: "arn:aws:ecs:us-east-2:123456789012:task/test-cluster/0123456789abcdef0123456789abcdef",
    });
    await cleanupStage(stageContext(config, unknown).ctx);
    assert.equal(existsSync(statePath(stateDir, unknown.id)), false);
    await assertNoTaskRunning(emulator);
  });

  it("warns and succeeds without a state file", async () => {
    const stage = stageContext(config, newJob());
    await cleanupStage(stage.ctx);
    assert.match(stage.log.text(), /^WARN No task to clean up for job \d+: obtaining information about the running task: trying to access file ".*": file does not exist$/m);
  });
});
