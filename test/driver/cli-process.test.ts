// The real CLI as a separate process (node --import tsx src/cli.ts), as GitLab Runner starts it:
// stdout rules, exit codes read from the environment, one-line errors, and lazy stage loading.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { forbidImportsPreload } from "../support/forbid-imports.js";
import { writeSeededFargateToml } from "../support/fargate-toml.js";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const roots: string[] = [];
after(() => roots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh working directory (like the runner's per-job temp dir). */
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fargate-cli-"));
  roots.push(dir);
  return dir;
}

const JOB_ENV = {
  CUSTOM_ENV_CI_JOB_ID: "4242",
  CUSTOM_ENV_CI_PROJECT_URL: "https://gitlab.example.com/group/app",
  CUSTOM_ENV_CI_PIPELINE_ID: "77",
  CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: "zx9Qa1bC2",
};
// Unusual values prove the codes are read, not assumed.
const RUNNER_ENV = { BUILD_FAILURE_EXIT_CODE: "41", SYSTEM_FAILURE_EXIT_CODE: "42", ...JOB_ENV };

// The seed guide's file (public IP, root), with the metadata directory moved into the test's own directory.
function configFile(dir: string, extra = ""): string {
  return writeSeededFargateToml(join(dir, "fargate.toml"), {
    directory: join(dir, "metadata"),
    top: 'LogFormat = "text"',
    fargate: `  EnablePublicIP = true\n${extra}`,
    username: "root",
  });
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; preload?: string[] }): Promise<Result> {
  // Only what the runner would pass: no inherited CUSTOM_ENV_* or exit codes from the test's own environment.
  const base: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", AWS_EC2_METADATA_DISABLED: "true" };
  const env = { ...base, ...options.env };
  const imports = [TSX, ...(options.preload ?? [])].flatMap((url) => ["--import", url]);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...imports, CLI, ...args], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const hasStack = (text: string) => /\n\s+at /.test(text);

describe("cli: without a config file", { concurrency: true }, () => {
  it("--version prints the package version", async () => {
    const result = await runCli(["--version"], { cwd: workDir() });
    assert.deepEqual(result, { code: 0, stdout: `fargate version ${VERSION}\n`, stderr: "" });
  });

  it("--help describes the commands and flags", async () => {
    const result = await runCli(["--help"], { cwd: workDir() });
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    for (const word of ["custom", "exec", "--config", "--task-def", "--platform-version", "--log-format"]) {
      assert.ok(result.stdout.includes(word), `help lacks ${word}`);
    }
  });

  it("custom --help lists the stages and their aliases", async () => {
    const result = await runCli(["custom", "--help"], { cwd: workDir() });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /config, co/);
    assert.match(result.stdout, /cleanup, cl/);
  });

  it("gc without --runner is a usage error and exits 2 (it never guesses whose tasks to stop)", async () => {
    const result = await runCli(["gc"], { cwd: workDir(), env: RUNNER_ENV });
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^ERROR: fargate gc: --runner SHORT_TOKEN is required/);
  });

  it("an unknown command is a usage error", async () => {
    const result = await runCli(["deploy"], { cwd: workDir() });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'ERROR: unknown command "deploy": expected custom, exec or gc (see fargate --help)\n');
  });
});

describe("cli: custom config", { concurrency: true }, () => {
  it("prints exactly one JSON object with the Go driver's hostname scheme, and nothing else", async () => {
    const dir = workDir();
    const result = await runCli(["--config", configFile(dir), "custom", "config"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const hash = createHash("sha256").update("https://gitlab.example.com/group/app-77-4242").digest("hex");
    assert.equal(result.stdout, JSON.stringify({ driver: { name: "fargate", version: VERSION }, hostname: `zx9Qa1bC2-${hash}` }) + "\n");
    assert.equal(statSync(join(dir, "metadata")).mode & 0o777, 0o700);
  });

  it("accepts the Go driver's aliases (c co) and keeps warnings off stdout", async () => {
    const dir = workDir();
    const result = await runCli(["--config", configFile(dir, '  Colour = "blue"'), "c", "co"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotThrow(() => JSON.parse(result.stdout));
    assert.equal(result.stdout.trim().split("\n").length, 1);
    assert.match(result.stderr, /^WARN\[0000\] .*unknown key \[Fargate\] Colour \(ignored\)\n$/);
  });

  it("loads neither the AWS SDK nor ssh2", async () => {
    const dir = workDir();
    const preload = [forbidImportsPreload(dir, "config", ["@aws-sdk/", "@smithy/", "ssh2"])];
    const config = await runCli(["--config", configFile(dir), "custom", "config"], { cwd: dir, env: RUNNER_ENV, preload });
    assert.equal(config.code, 0, config.stderr);
    // The guard itself works, for import() and for require() (how src/aws/sdk.ts loads the SDK).
    for (const load of ['await import("ssh2")', 'createRequire(import.meta.url)("@aws-sdk/client-ecs")']) {
      const code = `import { createRequire } from "node:module"; ${load};`;
      const probe = spawnSync(process.execPath, ["--import", preload[0] ?? "", "--input-type=module", "-e", code], { cwd: dir, encoding: "utf8" });
      assert.notEqual(probe.status, 0, load);
      assert.match(probe.stderr, /forbidden import (ssh2|@aws-sdk\/client-ecs)/, load);
    }
  });

  it("a non-numeric CI_JOB_ID is a clear system failure", async () => {
    const dir = workDir();
    const result = await runCli(["--config", configFile(dir), "custom", "config"], {
      cwd: dir,
      env: { ...RUNNER_ENV, CUSTOM_ENV_CI_JOB_ID: "abc" },
    });
    assert.equal(result.code, 42);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^ERROR: reading the job's identity: CUSTOM_ENV_CI_JOB_ID must be a number, found "abc"; .*\n$/);
  });

  it("an unwritable metadata directory is named with the fix", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "metadata"), "not a directory");
    const result = await runCli(["--config", configFile(dir), "custom", "config"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 42);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^ERROR: preparing the task metadata directory ".*metadata" \(\[TaskMetadata\] Directory\): .*gitlab-runner/);
  });
});

describe("cli: failures", { concurrency: true }, () => {
  it("a bad config is one line on stderr, SYSTEM_FAILURE_EXIT_CODE, no stack trace", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "bad.toml"), '[Fargate]\nCluster = 42\nSubnet = "s"\nTaskDefinition = "t"\n[SSH]\nPort = 0\n');
    const result = await runCli(["--config", "bad.toml", "custom", "prepare"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 42);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      "ERROR: loading configuration: bad.toml has 2 problems: [Fargate] Cluster: expected a non-empty string (cluster name or ARN), found 42; " +
        "[SSH] Port: expected a port number from 1 to 65535, found 0\n",
    );
  });

  it("--debug adds the stack trace", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "bad.toml"), "[Fargate]\nCluster = 42\n");
    const result = await runCli(["--debug", "--config", "bad.toml", "custom", "config"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 42);
    assert.ok(hasStack(result.stderr), result.stderr);
  });

  it("a missing config file names the file and the fix", async () => {
    const dir = workDir();
    const result = await runCli(["custom", "config"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 42);
    assert.equal(
      result.stderr,
      `ERROR: loading configuration: file "config.toml" (${join(dir, "config.toml")}) does not exist; pass the path of your fargate.toml with --config, e.g. --config /etc/gitlab-runner/fargate.toml\n`,
    );
  });

  it("the error follows --log-format json", async () => {
    const dir = workDir();
    const result = await runCli(["--log-format", "json", "--config", "nope.toml", "custom", "config"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 42);
    const line = JSON.parse(result.stderr) as { level: string; msg: string; time: string };
    assert.equal(line.level, "error");
    assert.match(line.msg, /^loading configuration: file "nope.toml"/);
  });

  it("custom run without arguments: missing required arguments", async () => {
    const dir = workDir();
    const result = await runCli(["--config", configFile(dir), "custom", "run"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 42);
    assert.match(result.stderr, /^ERROR: missing required arguments/);
    const oneArg = await runCli(["--config", configFile(dir), "custom", "r", "script.sh"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(oneArg.code, 42);
    assert.match(oneArg.stderr, /^ERROR: missing required arguments/);
  });

  it("without the runner's exit-code variables: a clear line and exit 2", async () => {
    const dir = workDir();
    const result = await runCli(["--config", configFile(dir), "custom", "config"], {
      cwd: dir,
      env: { ...JOB_ENV, SYSTEM_FAILURE_EXIT_CODE: "42" },
    });
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^ERROR: BUILD_FAILURE_EXIT_CODE is not set: the driver must be started by GitLab Runner .* or `fargate exec`/);
    const bad = await runCli(["--config", configFile(dir), "custom", "config"], {
      cwd: dir,
      env: { ...JOB_ENV, BUILD_FAILURE_EXIT_CODE: "1", SYSTEM_FAILURE_EXIT_CODE: "two" },
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ERROR: SYSTEM_FAILURE_EXIT_CODE must be a number from 1 to 255, found "two"/);
  });

  it("the state file missing in cleanup/run keeps the Go driver's wording", async () => {
    const dir = workDir();
    const script = join(dir, "script.sh");
    writeFileSync(script, "echo hi\n", { mode: 0o700 });
    const result = await runCli(["--config", configFile(dir), "custom", "run", script, "build_script"], { cwd: dir, env: RUNNER_ENV });
    assert.equal(result.code, 42);
    assert.match(result.stderr, /obtaining information about the running task: trying to access file ".*\.json": file does not exist/);
  });
});

describe("cli: exec routing", { concurrency: true }, () => {
  it("exec --help works without files", async () => {
    const result = await runCli(["exec", "--help"], { cwd: workDir() });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: fargate \[global flags\] exec \[--file \.gitlab-ci\.yml\] \[--config fargate\.toml\] JOB/);
  });

  it("exec without a job name is a usage error", async () => {
    const result = await runCli(["exec"], { cwd: workDir() });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^ERROR: missing job name: usage: fargate exec/);
  });

  it("exec hands the job to the local runner (defaults .gitlab-ci.yml / fargate.toml)", async () => {
    const dir = workDir();
    writeFileSync(join(dir, ".gitlab-ci.yml"), "build:\n  script:\n    - echo hi\n");
    const result = await runCli(["exec", "no-such-job"], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /job "no-such-job" not found in "\.gitlab-ci\.yml"/);
  });
});
