// Fault matrix, secrets: a whole job at debug level (stack traces on), through successes, a build
// failure, a refused host key and a task that fails to start, with a LogFile: neither the job's
// private key nor masked job variable values appear in any output or log; the state directory is
// 0700 and the state file 0600.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BashBody, finishScript } from "../../src/exec/bash-script.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoSecret, BUILD, FaultCase, SYSTEM, sshKindSkip } from "./support.js";

for (const ssh of ["embedded", "openssh"] as const) {
  describe(`secrets (${ssh} sshd)`, { skip: await sshKindSkip(ssh), concurrency: true }, () => {
    let emulator: EmulatorHandle;
    before(async () => {
      emulator = await startEmulator({ ssh, timeScale: 0.03 });
    });
    after(async () => {
      await emulator?.stop();
    });

    const masked = () => ({
      CUSTOM_ENV_DEPLOY_PASSWORD: `pw-${randomBytes(12).toString("hex")}`,
      CUSTOM_ENV_CI_JOB_TOKEN: `glcbt-${randomBytes(12).toString("hex")}`,
      CUSTOM_ENV_CI_REGISTRY_PASSWORD: `reg-${randomBytes(12).toString("hex")}`,
    });

    // A stage script as GitLab Runner writes it: every job variable exported, masked ones included, then the commands.
    function jobScript(c: FaultCase, name: string, secrets: Record<string, string>, commands: string[]): string {
      const vars = Object.entries(secrets).map(([name, value]) => ({ key: name.replace(/^CUSTOM_ENV_/, ""), value, masked: true, public: false }));
      return c.script(name, finishScript(new BashBody().exports(vars).commands(commands)));
    }
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

    function assertNoneLeaked(c: FaultCase, secrets: Record<string, string>, key: string | undefined, logFile: string): void {
      const texts = [...c.outputs, readFileSync(logFile, "utf8")];
      assertNoSecret(texts, key, "the job's private key");
      for (const [name, value] of Object.entries(secrets)) {
        for (const text of texts) assert.ok(!text.includes(value), `${name}'s value leaked:\n${text}`);
      }
    }

    it("a whole job with failures at debug level leaks no key and no masked variable", async () => {
      const c = new FaultCase(emulator, "secrets-job");
      const secrets = masked();
      const logFile = join(c.dir, "driver.log");
      c.config({ top: `LogFile = "${logFile}"` });
      const env = c.env(secrets);
      const stage = (args: string[]) => c.cli([], { env, argv: ["--debug", "--config", join(c.dir, "fargate.toml"), "custom", ...args] });

      const prepare = await stage(["prepare"]);
      assert.equal(prepare.code, 0, prepare.stderr);
      const key = c.recordedKey();
      assert.ok(key && readFileSync(c.statePath, "utf8").includes(JSON.stringify(key)), "the key is where it belongs: the state file");
      assert.equal(statSync(c.stateDir).mode & 0o777, 0o700);
      assert.equal(statSync(c.statePath).mode & 0o777, 0o600);
      assert.equal(statSync(logFile).mode & 0o777, 0o600);

      // The masked values travel in every script, as the runner writes them; the remote shell proves it got them.
      const ok = await stage(["run", jobScript(c, "ok.sh", secrets, ['printf %s "$DEPLOY_PASSWORD" | sha256sum']), "build_script"]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`^${sha256(secrets.CUSTOM_ENV_DEPLOY_PASSWORD)}  -$`, "m"));
      const failed = await stage(["run", jobScript(c, "fail.sh", secrets, ['test -n "$CI_JOB_TOKEN"', "exit 3"]), "build_script"]);
      // --debug prints stack traces on purpose: only the code and the ERROR line are checked here.
      assert.equal(failed.code, BUILD, failed.stderr);
      assert.match(failed.stderr, /^ERROR: script exited with code 3$/m);
      await emulator.addFaults([{ ssh: "changeHostKey", startedBy: c.startedBy, times: 1 }]);
      const refused = await stage(["run", jobScript(c, "ok2.sh", secrets, ["echo again"]), "after_script"]);
      assert.equal(refused.code, SYSTEM, refused.stderr);
      assert.match(readFileSync(logFile, "utf8"), /host key mismatch/);
      const cleanup = await stage(["cleanup"]);
      assert.equal(cleanup.code, 0, cleanup.stderr);
      await c.assertNoLiveTask();
      assert.equal(existsSync(c.statePath), false);
      assertNoneLeaked(c, secrets, key, logFile);
    });

    it("a failed prepare at debug level (stack traces on) leaks no key and no masked variable", async () => {
      const c = new FaultCase(emulator, "secrets-prepare");
      const secrets = masked();
      const logFile = join(c.dir, "driver.log");
      await emulator.addFaults([{ task: "failToStart", stoppedReason: "CannotPullContainerError: denied", startedBy: c.startedBy, times: 1 }]);
      c.config({ top: `LogFile = "${logFile}"` });
      const prepare = await c.cli([], { env: c.env(secrets), argv: ["--debug", "--config", join(c.dir, "fargate.toml"), "custom", "prepare"] });
      assert.equal(prepare.code, SYSTEM, prepare.stderr);
      assert.match(readFileSync(logFile, "utf8"), /CannotPullContainerError: denied/);
      const key = c.recordedKey();
      assert.ok(key, "prepare recorded the key before the task failed");
      await c.cleanupAndCheck();
      assertNoneLeaked(c, secrets, key, logFile);
    });

    it("a state file damaged inside the key: the error quotes none of it", async () => {
      const c = new FaultCase(emulator, "secrets-damaged");
      const prepare = await c.cli(["prepare"]);
      assert.equal(prepare.code, 0, prepare.stderr);
      const key = c.recordedKey();
      const arn = c.recordedTask();
      const { writeFileSync } = await import("node:fs");
      // An unquoted value makes V8's JSON error quote the text that follows: here, the middle of the key.
      const body = (key ?? "").replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
      const start = body.slice(100).search(/[A-Za-z]/) + 100; // a letter: V8 then reports an unexpected token
      const piece = body.slice(start, start + 60);
      writeFileSync(c.statePath, `{"version": 1, "taskArn": ${JSON.stringify(arn)}, "privateKey": ${piece}}`);
      const argv = ["--debug", "--config", join(c.dir, "fargate.toml"), "custom", "run", c.script("x.sh", "true\n"), "build_script"];
      const run = await c.cli([], { argv });
      assert.equal(run.code, SYSTEM, run.stderr);
      assert.match(run.stderr, /^ERROR: .*the file is damaged/m);
      await c.cleanupAndCheck();
      for (const text of c.outputs) assert.ok(!text.includes(piece.slice(0, 8)), `a piece of the key leaked:\n${text}`);
      assertNoSecret(c.outputs, key, "the job's private key");
    });
  });
}
