// Fault matrix, bad input: malformed configs and runner environments fail prepare before any AWS
// call, as a system failure (exit 2 when the runner's exit-code variables themselves are unusable)
// with one line naming the key, variable or file and the fix. No task starts, no state is written.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertFailure, assertStateDirEmpty, FaultCase, SYSTEM, sshKindSkip } from "./support.js";

/** One bad input: how to break the config, environment or command line, and what the message must say. */
interface BadInput {
  name: string;
  /** Edits the seeded fargate.toml text. */
  edit?: (toml: string) => string;
  env?: Record<string, string | undefined>;
  /** Global flags before `custom prepare`. */
  flags?: string[];
  /** Exit code; SYSTEM unless the exit-code variables are the problem. */
  code?: number;
  message: RegExp;
}

const set = (key: string, value: string) => (toml: string) => toml.replace(new RegExp(`^(\\s*)${key} = .*$`, "m"), `$1${key} = ${value}`);
const drop = (key: string) => (toml: string) => toml.replace(new RegExp(`^\\s*${key} = .*\\n`, "m"), "");
const add = (table: string, line: string) => (toml: string) => toml.replace(`[${table}]\n`, `[${table}]\n  ${line}\n`);
const FILE = "loading configuration: /\\S+/fargate\\.toml";

const CASES: BadInput[] = [
  { name: "missing config file", flags: ["--config", "/nonexistent/fargate.toml"], message: /\/nonexistent\/fargate\.toml.*--config/ },
  { name: "TOML syntax error", edit: set("Cluster", '"test-cluster'), message: new RegExp(`${FILE}: invalid TOML at line \\d+, column \\d+`) },
  { name: "duplicate key", edit: add("Fargate", 'Region = "us-east-1"'), message: new RegExp(`${FILE}: invalid TOML at line \\d+`) },
  { name: "missing Cluster", edit: drop("Cluster"), message: /\[Fargate\] Cluster: expected a non-empty string \(cluster name or ARN\), found nothing$/ },
  { name: "misspelt Cluster", edit: (t) => t.replace("Cluster =", "Clustr ="), message: new RegExp(`${FILE} has 2 problems: \\[Fargate\\] Clustr: unknown key; did you mean Cluster\\?; \\[Fargate\\] Cluster: expected .*found nothing$`) },
  { name: "misspelt table", edit: (t) => t.replace("[Fargate]", "[Farget]"), message: new RegExp(`${FILE} has \\d problems: \\[Farget\\]: unknown table; did you mean \\[Fargate\\]\\?; \\[Fargate\\] Cluster: .*found nothing`) },
  { name: "misspelt TaskDefinition", edit: (t) => t.replace("TaskDefinition =", "TaskDefiniton ="), message: /\[Fargate\] TaskDefiniton: unknown key; did you mean TaskDefinition\?; \[Fargate\] TaskDefinition: expected .*found nothing; set it in the file, with --task-def or with the FARGATE_TASK_DEFINITION job variable$/ },
  // Optional keys: ignoring the misspelling would silently run with the default (no public IP, user root).
  { name: "misspelt optional key EnablePublcIP", edit: add("Fargate", "EnablePublcIP = true"), message: new RegExp(`${FILE}: \\[Fargate\\] EnablePublcIP: unknown key; did you mean EnablePublicIP\\?$`) },
  { name: "misspelt [SSH] Usernme", edit: (t) => t.replace("Username =", "Usernme ="), message: new RegExp(`${FILE}: \\[SSH\\] Usernme: unknown key; did you mean Username\\?$`) },
  { name: "misspelt top-level LogLevl", edit: (t) => t.replace("LogLevel =", "LogLevl ="), message: new RegExp(`${FILE}: LogLevl: unknown key; did you mean LogLevel\\?$`) },
  { name: "Cluster of the wrong type", edit: set("Cluster", "42"), message: /\[Fargate\] Cluster: expected a non-empty string \(cluster name or ARN\), found 42$/ },
  { name: "Cluster with spaces", edit: set("Cluster", '"my cluster"'), message: /\[Fargate\] Cluster: expected a cluster name \(letters, digits, - and _\) or a cluster ARN, found "my cluster"$/ },
  { name: "negative port", edit: set("Port", "-22"), message: /\[SSH\] Port: expected a port number from 1 to 65535, found -22$/ },
  { name: "port out of range", edit: set("Port", "70000"), message: /\[SSH\] Port: expected a port number from 1 to 65535, found 70000$/ },
  { name: "port as a string", edit: set("Port", '"22"'), message: /\[SSH\] Port: expected a port number from 1 to 65535, found "22"$/ },
  { name: "malformed TaskDefinition", edit: set("TaskDefinition", '"test task::1"'), message: /\[Fargate\] TaskDefinition: expected a task definition as family, family:revision \(revision 1 or more\) or a task-definition ARN, found "test task::1"$/ },
  { name: "TaskDefinition revision 0", edit: set("TaskDefinition", '"test-task:0"'), message: /\[Fargate\] TaskDefinition: expected a task definition .*found "test-task:0"$/ },
  { name: "TaskDefinition wrong ARN kind", edit: set("TaskDefinition", '"arn:aws:ecs:us-east-2:123456789012:cluster/test-task"'), message: /\[Fargate\] TaskDefinition: expected .*task-definition ARN/ },
  { name: "unknown LogFormat", edit: set("LogLevel", '"info"\nLogFormat = "xml"'), message: /LogFormat: expected one of text, text-simple, json, found "xml"$/ },
  { name: "unknown LogLevel", edit: set("LogLevel", '"verbose"'), message: /LogLevel: expected one of debug, info, warning, error, fatal, panic, found "verbose"$/ },
  { name: "EnablePublicIP not a bool", edit: add("Fargate", 'EnablePublicIP = "yes"'), message: /\[Fargate\] EnablePublicIP: expected true or false, found "yes"$/ },
  { name: "UsePublicIP without EnablePublicIP", edit: add("Fargate", "UsePublicIP = true"), message: /\[Fargate\] UsePublicIP: cannot be true while EnablePublicIP is false/ },
  { name: "StartTimeout as a bare number string", edit: add("Fargate", 'StartTimeout = "600"'), message: /\[Fargate\] StartTimeout: expected a duration such as "90s", "10m" or "1h30m".*found "600"$/ },
  { name: "negative StartTimeout", edit: add("Fargate", 'StartTimeout = "-5m"'), message: /\[Fargate\] StartTimeout: expected a duration .*found "-5m"$/ },
  { name: "ReadyTimeout as a number", edit: add("SSH", "ReadyTimeout = 30"), message: /\[SSH\] ReadyTimeout: expected a duration .*found 30$/ },
  { name: "no subnet", edit: drop("Subnet"), message: /\[Fargate\] Subnet \/ Subnets: expected at least one subnet ID, found none$/ },
  { name: "Subnets not a list", edit: add("Fargate", 'Subnets = "subnet-a"'), message: /\[Fargate\] Subnets: expected a list of subnet IDs, e\.g\. \["subnet-0123"\], found "subnet-a"$/ },
  { name: "SecurityGroups of numbers", edit: add("Fargate", "SecurityGroups = [1]"), message: /\[Fargate\] SecurityGroups\[0\]: expected a non-empty security group ID string, found 1$/ },
  { name: "malformed Region", edit: set("Region", '"us east"'), message: /\[Fargate\] Region: expected an AWS region code such as "us-east-2", found "us east"$/ },
  { name: "Fargate not a table", edit: () => 'LogLevel = "info"\nFargate = "x"\n', message: /Fargate: expected a table \(\[Fargate\] section\), found "x"$/ },
  { name: "Directory not a string", edit: set("Directory", "5"), message: /\[TaskMetadata\] Directory: expected a directory path, found 5$/ },
  { name: "empty Username", edit: set("Username", '""'), message: /\[SSH\] Username: expected a user name, found an empty string$/ },
  { name: "PlatformVersion as a number", edit: add("Fargate", "PlatformVersion = 1.4"), message: /\[Fargate\] PlatformVersion: expected a platform version string such as "1\.4\.0" or "LATEST", found 1\.4$/ },
  { name: "LogFile in a missing directory", edit: set("LogLevel", '"info"\nLogFile = "/nonexistent/dir/fargate.log"'), message: /opening the log file "\/nonexistent\/dir\/fargate\.log".*change LogFile \/ --log-file$/ },
  { name: "malformed --task-def", flags: ["--task-def", "bad def!"], message: /--task-def: expected a task definition .*found "bad def!"$/ },
  { name: "malformed FARGATE_TASK_DEFINITION job variable", env: { CUSTOM_ENV_FARGATE_TASK_DEFINITION: "x:y:z" }, message: /the FARGATE_TASK_DEFINITION job variable: expected a task definition .*found "x:y:z"$/ },
  { name: "unknown --log-format", flags: ["--log-format", "xml"], message: /(--log-format|LogFormat).*xml/ },
  { name: "BUILD_FAILURE_EXIT_CODE missing", env: { BUILD_FAILURE_EXIT_CODE: undefined }, code: 2, message: /^ERROR: BUILD_FAILURE_EXIT_CODE is not set: the driver must be started by GitLab Runner/ },
  { name: "SYSTEM_FAILURE_EXIT_CODE not numeric", env: { SYSTEM_FAILURE_EXIT_CODE: "forty-two" }, code: 2, message: /^ERROR: SYSTEM_FAILURE_EXIT_CODE must be a number from 1 to 255, found "forty-two"/ },
  { name: "SYSTEM_FAILURE_EXIT_CODE zero", env: { SYSTEM_FAILURE_EXIT_CODE: "0" }, code: 2, message: /^ERROR: SYSTEM_FAILURE_EXIT_CODE must be a number from 1 to 255, found "0"/ },
  { name: "job id missing", env: { CUSTOM_ENV_CI_JOB_ID: undefined }, message: /CUSTOM_ENV_CI_JOB_ID is not set/ },
  { name: "non-numeric job id", env: { CUSTOM_ENV_CI_JOB_ID: "12a" }, message: /CUSTOM_ENV_CI_JOB_ID must be a number, found "12a"/ },
  { name: "runner short token missing", env: { CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: undefined }, message: /CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN is not set/ },
];

interface Request {
  operation: string;
}

describe("bad input (config, environment, command line)", { skip: await sshKindSkip("embedded"), concurrency: 4 }, () => {
  let emulator: EmulatorHandle;
  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.05 });
  });
  after(async () => {
    // Not one AWS call reached the emulator: every case failed before RunTask.
    const calls = (await emulator.requests()) as Request[];
    await emulator.stop();
    assert.deepEqual(calls.map((r) => r.operation), []);
  });

  it(`covers at least 25 cases (${CASES.length})`, () => assert.ok(CASES.length >= 25));

  for (const bad of CASES) {
    it(`${bad.name}: one line naming it, no task`, async () => {
      const c = new FaultCase(emulator, bad.name);
      const config = c.config();
      if (bad.edit) {
        const { readFileSync } = await import("node:fs");
        writeFileSync(config, bad.edit(readFileSync(config, "utf8")));
      }
      const argv = [...(bad.flags?.includes("--config") ? [] : ["--config", config]), ...(bad.flags ?? []), "custom", "prepare"];
      const result = await c.cli([], { argv, env: c.env(bad.env) });
      assertFailure(result, bad.code ?? SYSTEM, bad.message);
      assert.equal((await emulator.tasks()).length, 0);
      assertStateDirEmpty(c.stateDir);
      assertStateDirEmpty(join(c.dir, "metadata"));
    });
  }
});
