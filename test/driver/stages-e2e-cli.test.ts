// prepare → run → cleanup through the real CLI, each stage a separate process started the way
// GitLab Runner starts it, against the emulator (both SSH kinds): exit codes, the exit-code file,
// byte-exact output, big scripts, per-job task definitions, SIGTERM, and `run` never loading the
// AWS SDK on its success path.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { computeJobId } from "../../src/job.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { forbidImportsPreload } from "../support/forbid-imports.js";
import { assertNoTaskRunning, sshKindSkip, tempDir } from "./stages-e2e-support.js";
import { writeSeededFargateToml } from "../support/fargate-toml.js";
import { processRunning } from "../support/processes.js";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
const BUILD = 41;
const SYSTEM = 42;

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

for (const ssh of ["embedded", "openssh"] as const) {
  describe(`the CLI against the emulator (${ssh} sshd)`, { skip: await sshKindSkip(ssh) }, () => {
    let emulator: EmulatorHandle;
    const dir = tempDir("fargate-cli-e2e-");
    const forbidAws = forbidImportsPreload(dir, "aws", ["@aws-sdk/", "@smithy/"]);
    const forbidEc2 = forbidImportsPreload(dir, "ec2", ["@aws-sdk/client-ec2"]);

    before(async () => {
      emulator = await startEmulator({ ssh, timeScale: 0.02 });
    });
    after(async () => {
      await emulator?.stop();
    });

    function configFile(name: string, extra: string): string {
      return writeSeededFargateToml(join(dir, name), { directory: join(dir, "metadata"), fargate: extra });
    }

    function runnerEnv(jobId: string, extra: Record<string, string> = {}): Record<string, string> {
      const jobDir = join(dir, `job-${jobId}`);
      return {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        TMPDIR: dir,
        ...emulator.env,
        BUILD_FAILURE_EXIT_CODE: String(BUILD),
        SYSTEM_FAILURE_EXIT_CODE: String(SYSTEM),
        BUILD_EXIT_CODE_FILE: `${jobDir}-build_exit_code`,
        CUSTOM_ENV_CI_JOB_ID: jobId,
        CUSTOM_ENV_CI_PROJECT_ID: "42",
        CUSTOM_ENV_CI_PROJECT_URL: "https://gitlab.example.com/group/app",
        CUSTOM_ENV_CI_PIPELINE_ID: "77",
        CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: "zx9Qa1bC2",
        CUSTOM_ENV_CI_RUNNER_ID: "3",
        ...extra,
      };
    }

    function stateFile(jobId: string): string {
      return join(dir, "metadata", `${computeJobId("zx9Qa1bC2", "https://gitlab.example.com/group/app", "77", jobId)}.json`);
    }

    function cli(
      config: string,
      stage: string[],
      env: Record<string, string>,
      options: { preload?: string[]; onStart?: (pid: number) => void; onStderr?: (text: string, pid: number) => void } = {},
    ): Promise<Result> {
      const imports = [TSX, ...(options.preload ?? [])].flatMap((url) => ["--import", url]);
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...imports, CLI, "--config", config, "custom", ...stage], {
          cwd: dir,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => out.push(c));
        child.stderr.setEncoding("utf8").on("data", (c: string) => {
          stderr += c;
          options.onStderr?.(stderr, child.pid ?? 0);
        });
        child.on("error", reject);
        child.on("spawn", () => options.onStart?.(child.pid ?? 0));
        child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
      });
    }

    function script(name: string, body: string): string {
      const path = join(dir, name);
      writeFileSync(path, body, { mode: 0o700 });
      return path;
    }

    it("runs a job over the public IP: passing, failing and 1 MiB scripts, exact output, idempotent cleanup", async () => {
      const config = configFile("public.toml", "  EnablePublicIP = true");
      const env = runnerEnv("5001");

      const prepare = await cli(config, ["prepare"], env);
      assert.equal(prepare.code, 0, prepare.stderr);
      assert.match(prepare.stderr, /Task ready in \d+\.\d s \(RunTask \d+\.\d s, to RUNNING \d+\.\d s, to SSH \d+\.\d s\) at 127[.\d]+:22/);
      assert.doesNotMatch(prepare.stderr, /PRIVATE KEY|NodeVersionSupportWarning/);
      assert.equal(statSync(stateFile("5001")).mode & 0o777, 0o600);
      const state = JSON.parse(readFileSync(stateFile("5001"), "utf8")) as { taskArn: string; address: string };
      const task = (await emulator.tasks()).find((t) => t.taskArn === state.taskArn);
      assert.equal(state.address, task?.publicIp);
      assert.equal(task?.tags["gitlab-runner:job-id"], "5001");

      // Success path with the AWS SDK made unloadable: run must not need it.
      const ok = await cli(config, ["run", script("ok.sh", "printf 'out\\376\\n'; printf 'err\\377' >&2\n"), "build_script"], env, {
        preload: [forbidAws],
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(ok.stdout, Buffer.from([0x6f, 0x75, 0x74, 0xfe, 0x0a]));
      assert.ok(ok.stderr.endsWith("err\uFFFD"), ok.stderr);

      const fail = await cli(config, ["run", script("fail.sh", "exit 3\n"), "build_script"], env, { preload: [forbidAws] });
      assert.equal(fail.code, BUILD, fail.stderr);
      assert.equal(readFileSync(env.BUILD_EXIT_CODE_FILE, "utf8").trim(), "3");

      const big = await cli(config, ["run", script("big.sh", `${":".repeat(2047)}\n`.repeat(512) + "echo big\n"), "step_release"], env);
      assert.equal(big.code, 0, big.stderr);
      assert.equal(big.stdout.toString(), "big\n");

      const cleanup = await cli(config, ["cleanup"], env);
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assert.equal(existsSync(stateFile("5001")), false);
      const again = await cli(config, ["cleanup"], env);
      assert.equal(again.code, 0, again.stderr);
      await assertNoTaskRunning(emulator);
    });

    it("stops the task when prepare gets SIGTERM while waiting for SSH", async () => {
      await emulator.addFaults([{ ssh: "startDelayMs", value: 60_000, times: 1 }]);
      const config = configFile("sigterm.toml", "  EnablePublicIP = false");
      const env = runnerEnv("5003");
      let signalled = 0;
      const prepare = await cli(config, ["prepare"], env, {
        onStderr: (text, pid) => {
          if (!signalled && /is RUNNING/.test(text)) {
            signalled = Date.now();
            process.kill(pid, "SIGTERM");
          }
        },
      });
      assert.ok(signalled, prepare.stderr);
      assert.equal(prepare.code, SYSTEM, prepare.stderr);
      assert.ok(Date.now() - signalled < 10_000, "prepare should end promptly after SIGTERM");
      const state = JSON.parse(readFileSync(stateFile("5003"), "utf8")) as { taskArn: string };
      const task = (await emulator.tasks()).find((t) => t.taskArn === state.taskArn);
      assert.equal(task?.desiredStatus, "STOPPED");
      assert.match(task?.stoppedReason ?? "", /^Job 5003 cancelled during prepare/);
      const cleanup = await cli(config, ["cleanup"], env);
      assert.equal(cleanup.code, 0, cleanup.stderr);
      await assertNoTaskRunning(emulator);
    });

    it("uses FARGATE_TASK_DEFINITION over the private IP, and SIGTERM ends the remote script", async () => {
      const { ECSClient, RegisterTaskDefinitionCommand } = await import("@aws-sdk/client-ecs");
      const ecs = new ECSClient({ region: "us-east-2", endpoint: emulator.endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" } });
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "cli-other",
          requiresCompatibilities: ["FARGATE"],
          networkMode: "awsvpc",
          cpu: "256",
          memory: "512",
          containerDefinitions: [{ name: "ci-coordinator", image: "example/ci:2", essential: true, portMappings: [{ containerPort: 22 }] }],
        }),
      );
      ecs.destroy();
      const config = configFile("private.toml", "  EnablePublicIP = false");
      const env = runnerEnv("5002", { CUSTOM_ENV_FARGATE_TASK_DEFINITION: "cli-other" });
      // Private addressing never needs EC2 (whose SDK module alone takes ~0.6 s to load).
      const prepare = await cli(config, ["prepare"], env, { preload: [forbidEc2] });
      assert.equal(prepare.code, 0, prepare.stderr);
      const state = JSON.parse(readFileSync(stateFile("5002"), "utf8")) as { taskArn: string; address: string };
      const task = (await emulator.tasks()).find((t) => t.taskArn === state.taskArn);
      assert.equal(task?.family, "cli-other");
      assert.equal(state.address, task?.privateIp);

      const marker = `${Math.floor(Math.random() * 800) + 100}.${Date.now() % 10000}`;
      let pid = 0;
      const running = cli(config, ["run", script("long.sh", `echo started\nsleep ${marker}\necho late\n`), "build_script"], env, {
        onStart: (p) => (pid = p),
      });
      for (const started = Date.now(); !processRunning(["sleep", marker]); await sleep(50)) {
        assert.ok(Date.now() - started < 20_000, "the remote sleep never started");
      }
      const signalled = Date.now();
      process.kill(pid, "SIGTERM");
      const result = await running;
      assert.equal(result.code, SYSTEM, result.stderr);
      assert.ok(Date.now() - signalled < 10_000, "SIGTERM should end run promptly");
      assert.equal(result.stdout.toString(), "started\n");
      await sleep(200);
      assert.equal(processRunning(["sleep", marker]), false, "the remote script should be gone");

      const cleanup = await cli(config, ["cleanup"], env, { preload: [forbidEc2] });
      assert.equal(cleanup.code, 0, cleanup.stderr);
      await assertNoTaskRunning(emulator);
    });
  });
}

