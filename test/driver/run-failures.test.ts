// run's failure paths against the emulator (both SSH kinds): a task stopped under the script
// (SpotInterruption) or before it, a dropped session and a changed host key are system failures
// that say why, in the Go driver's wording where it applies.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { StopTaskCommand, ECSClient } from "@aws-sdk/client-ecs";
import { DriverError } from "../../src/errors.js";
import { cleanupStage } from "../../src/stages/cleanup.js";
import { prepareStage } from "../../src/stages/prepare.js";
import { runStage } from "../../src/stages/run.js";
import { readState } from "../../src/state/state-file.js";
import type { JobIdentity } from "../../src/job.js";
import type { DriverConfig } from "../../src/config/types.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoTaskRunning, newJob, seededConfig, sshKindSkip, stageContext, tempDir, useEmulatorEnv } from "./stages-e2e-support.js";

const CONNECTING = /^executing the script on the remote host: executing script on container with IP "127[.\d]+": connecting to server: connecting to server "127[.\d]+:22" as user "\w+": /;

for (const ssh of ["embedded", "openssh"] as const) {
  describe(`run failures (${ssh} sshd)`, { skip: await sshKindSkip(ssh) }, () => {
    let emulator: EmulatorHandle;
    const stateDir = tempDir("fargate-state-");
    const work = tempDir("fargate-work-");
    const config = seededConfig(stateDir);

    before(async () => {
      emulator = await startEmulator({ ssh, timeScale: 0.02 });
      useEmulatorEnv(emulator);
    });
    afterEach(async () => {
      await emulator.control("DELETE", "/_emulator/faults");
    });
    after(async () => {
      await emulator?.stop();
    });

    async function runScript(cfg: DriverConfig, job: JobIdentity, body: string) {
      const path = join(work, `s-${job.jobId}.sh`);
      writeFileSync(path, body, { mode: 0o700 });
      const stage = stageContext(cfg, job, [path, "build_script"]);
      return { stage, done: runStage(stage.ctx) };
    }

    async function finish(job: JobIdentity) {
      await cleanupStage(stageContext(config, job).ctx);
      await assertNoTaskRunning(emulator);
    }

    it("says why when the task is interrupted under the script (SpotInterruption)", async () => {
      await emulator.addFaults([{ task: "stopWhenRunning", afterMs: 2500, stopCode: "SpotInterruption", times: 1 }]);
      const job = newJob();
      await prepareStage(stageContext(config, job).ctx);
      const { done } = await runScript(config, job, "echo working\nsleep 60\n");
      await assert.rejects(done, (err: unknown) => {
        assert.ok(err instanceof DriverError && err.failureClass === "system", String(err));
        assert.match(err.message, /^executing the script on the remote host: executing script on container with IP "127[.\d]+": /);
        assert.match(err.message, /SpotInterruption/);
        return true;
      });
      await finish(job);
    });

    it("says why when the task stopped before the script could connect", async () => {
      const job = newJob();
      await prepareStage(stageContext(config, job).ctx);
      const state = await readState(stateDir, job.id);
      const ecs = new ECSClient({ region: "us-east-2" });
      await ecs.send(new StopTaskCommand({ cluster: "test-cluster", task: state.taskArn, reason: "stopped by the test" }));
      ecs.destroy();
      await assertNoTaskRunning(emulator);
      for (let i = 0; i < 100 && (await emulator.tasks()).some((t) => t.taskArn === state.taskArn && t.sshRunning); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const { done } = await runScript(config, job, "echo never\n");
      await assert.rejects(done, (err: unknown) => {
        assert.ok(err instanceof DriverError && err.failureClass === "system", String(err));
        assert.match(err.message, CONNECTING);
        assert.match(err.message, /connection refused.*\(task \w+ is \w+: UserInitiated: stopped by the test/);
        return true;
      });
      await finish(job);
    });

    it("reports a dropped session as a system failure", async () => {
      const job = newJob();
      await prepareStage(stageContext(config, job).ctx);
      await emulator.addFaults([{ ssh: "dropAfterMs", value: 300, times: 1 }]);
      const { done } = await runScript(config, job, "echo before\nsleep 30\n");
      await assert.rejects(done, (err: unknown) => {
        assert.ok(err instanceof DriverError && err.failureClass === "system", String(err));
        assert.match(err.message, /the SSH session ended without an exit status/);
        return true;
      });
      await finish(job);
    });

    it("refuses a task whose host key changed", async () => {
      const job = newJob();
      await prepareStage(stageContext(config, job).ctx);
      await emulator.addFaults([{ ssh: "changeHostKey", times: 1 }]);
      const { stage, done } = await runScript(config, job, "echo never\n");
      await assert.rejects(done, (err: unknown) => {
        assert.ok(err instanceof DriverError && err.code === "ssh_host_key_mismatch" && err.failureClass === "system", String(err));
        assert.match(err.message, CONNECTING);
        assert.match(err.message, /possible man-in-the-middle attack/);
        return true;
      });
      assert.equal(stage.stdout().length, 0);
      await finish(job);
    });
  });
}
