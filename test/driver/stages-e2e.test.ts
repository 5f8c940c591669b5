// prepare → run → cleanup through the stage functions, against the real emulator (AWS SDK over
// HTTP, real SSH servers of both kinds on loopback).
import assert from "node:assert/strict";
import { statSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ScriptFailedError, DriverError } from "../../src/errors.js";
import { cleanupStage } from "../../src/stages/cleanup.js";
import { prepareStage } from "../../src/stages/prepare.js";
import { runStage } from "../../src/stages/run.js";
import { readState, statePath, writeState } from "../../src/state/state-file.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoTaskRunning, newJob, seededConfig, sshKindSkip, stageContext, tempDir, useEmulatorEnv } from "./stages-e2e-support.js";

for (const ssh of ["embedded", "openssh"] as const) {
  describe(`stages against the emulator (${ssh} sshd)`, { skip: await sshKindSkip(ssh) }, () => {
    let emulator: EmulatorHandle;
    const stateDir = tempDir("fargate-state-");
    const work = tempDir("fargate-work-");

    before(async () => {
      emulator = await startEmulator({ ssh, timeScale: 0.02 });
      useEmulatorEnv(emulator);
    });
    after(async () => {
      await emulator?.stop();
    });

    function script(name: string, body: string | Buffer): string {
      const path = join(work, name);
      writeFileSync(path, body, { mode: 0o700 });
      return path;
    }

    it("prepares a tagged task, runs scripts with exact output and exit codes, and cleans up", async () => {
      const config = seededConfig(stateDir);
      const job = newJob();
      const prepare = stageContext(config, job);
      await prepareStage(prepare.ctx);

      const path = statePath(stateDir, job.id);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const state = await readState(stateDir, job.id);
      const [task] = (await emulator.tasks()).filter((t) => t.taskArn === state.taskArn);
      assert.equal(task.lastStatus, "RUNNING");
      assert.equal(state.address, task.privateIp);
      assert.equal(state.hostKey, task.hostKey?.split(" ").slice(0, 2).join(" "));
      assert.equal(task.startedBy, "gitlab-fargate-tok123abc");
      assert.equal(task.tags["gitlab-runner:job-id"], job.jobId);
      assert.equal(task.tags["gitlab-runner:project-id"], "42");
      assert.equal(task.tags["gitlab-runner:pipeline-id"], "77");
      assert.equal(task.tags["gitlab-runner:runner"], "tok123abc");
      assert.equal(task.tags["gitlab-runner:runner-id"], "9");
      assert.equal(task.tags["gitlab-runner:driver"], "gitlab-fargate-driver");
      assert.match(prepare.log.text(), /Task \S+… is RUNNING \(\d+\.\d s\)/);
      assert.match(prepare.log.text(), /Task ready in \d+\.\d s \(RunTask \d+\.\d s, to RUNNING \d+\.\d s, to SSH \d+\.\d s\) at 127\.\d+\.\d+\.\d+:22/);
      assert.doesNotMatch(prepare.log.text(), /PRIVATE KEY/);

      // A passing script, with stdout and stderr apart and byte-exact.
      const ok = stageContext(config, job, [script("ok.sh", "printf 'a\\377b\\n'; printf 'e\\001\\200' >&2\n"), "build_script"]);
      await runStage(ok.ctx);
      assert.deepEqual(ok.stdout(), Buffer.from([0x61, 0xff, 0x62, 0x0a]));
      assert.deepEqual(ok.stderr(), Buffer.from([0x65, 0x01, 0x80]));

      // A failing script: build failure with its own exit code, recorded for the runner.
      const exitFile = join(work, "build_exit_code");
      const failing = stageContext(config, job, [script("fail.sh", "echo failing\nexit 3\n"), "build_script"], {
        BUILD_EXIT_CODE_FILE: exitFile,
      });
      await assert.rejects(runStage(failing.ctx), (err: unknown) => err instanceof ScriptFailedError && err.exitCode === 3);
      assert.equal(readFileSync(exitFile, "utf8").trim(), "3");
      assert.equal(failing.stdout().toString(), "failing\n");

      // A 1 MiB script.
      const big = stageContext(config, job, [script("big.sh", `${"#".repeat(1100)}\n`.repeat(1000) + "echo big\n"), "after_script"]);
      await runStage(big.ctx);
      assert.equal(big.stdout().toString(), "big\n");

      const cleanup = stageContext(config, job);
      await cleanupStage(cleanup.ctx);
      assert.equal(existsSync(path), false);
      await assertNoTaskRunning(emulator);
      // Idempotent: a second cleanup finds nothing and is fine.
      const again = stageContext(config, job);
      await cleanupStage(again.ctx);
      assert.match(again.log.text(), /WARN No task to clean up/);
    });

    it("connects over the public IP when asked, and refuses a changed host key", async () => {
      const config = seededConfig(stateDir, { enablePublicIp: true, usePublicIp: true });
      const job = newJob();
      await prepareStage(stageContext(config, job).ctx);
      const state = await readState(stateDir, job.id);
      const [task] = (await emulator.tasks()).filter((t) => t.taskArn === state.taskArn);
      assert.ok(task.publicIp);
      assert.equal(state.address, task.publicIp);
      assert.notEqual(task.publicIp, task.privateIp);

      await writeState(stateDir, { ...state, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBogusBogusBogusBogusBogusBogusBogusBogus" });
      const run = stageContext(config, job, [script("mitm.sh", "echo never\n"), "build_script"]);
      await assert.rejects(runStage(run.ctx), (err: unknown) => {
        assert.ok(err instanceof DriverError && err.failureClass === "system");
        assert.match(
          err.message,
          /^executing the script on the remote host: executing script on container with IP "127[.\d]+": connecting to server: connecting to server "127[.\d]+:22" as user "\w+": .*man-in-the-middle/,
        );
        return true;
      });
      assert.equal(run.stdout().length, 0);
      await cleanupStage(stageContext(config, job).ctx);
      await assertNoTaskRunning(emulator);
    });

    it("uses a task definition named by FARGATE_TASK_DEFINITION", async () => {
      const { ECSClient, RegisterTaskDefinitionCommand } = await import("@aws-sdk/client-ecs");
      const ecs = new ECSClient({ region: "us-east-2" });
      const registered = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: `other-${ssh}`,
          requiresCompatibilities: ["FARGATE"],
          networkMode: "awsvpc",
          cpu: "256",
          memory: "512",
          containerDefinitions: [{ name: "ci-coordinator", image: "example/ci:latest", essential: true, portMappings: [{ containerPort: 22 }] }],
        }),
      );
      ecs.destroy();
      const family = `${registered.taskDefinition?.family}:${registered.taskDefinition?.revision}`;
      const config = seededConfig(stateDir, { taskDefinition: family });
      const job = newJob();
      await prepareStage(stageContext(config, job).ctx);
      const state = await readState(stateDir, job.id);
      const [task] = (await emulator.tasks()).filter((t) => t.taskArn === state.taskArn);
      assert.equal(task.family, `other-${ssh}`);
      const run = stageContext(config, job, [script("td.sh", "echo other\n"), "build_script"]);
      await runStage(run.ctx);
      assert.equal(run.stdout().toString(), "other\n");
      await cleanupStage(stageContext(config, job).ctx);
      await assertNoTaskRunning(emulator);
    });
  });
}
