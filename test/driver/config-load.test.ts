// fargate.toml loading: the seed guide's file verbatim, every key, defaults, precedence and the
// problem/warning messages users will see.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load.js";
import { SEED_FARGATE_TOML } from "../support/seed.js";

const SEED_TOML = SEED_FARGATE_TOML;

const MINIMAL = `[Fargate]
Cluster = "c"
Subnet = "subnet-1"
TaskDefinition = "td"
`;

const parse = (text: string, extra: Parameters<typeof parseConfig>[1] extends infer O ? Partial<O> : never = {}) =>
  parseConfig(text, { label: "fargate.toml", baseDir: "/etc/gitlab-runner", ...extra });

function problemsOf(text: string, extra = {}): string[] {
  try {
    parse(text, extra);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail("expected the configuration to be rejected");
}

describe("config: GitLab's guide", () => {
  it("loads the seed fargate.toml unchanged", () => {
    const { config, warnings } = parse(SEED_TOML);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, {
      logLevel: "info",
      logFormat: "text",
      logFile: undefined,
      fargate: {
        cluster: "test-cluster",
        region: "us-east-2",
        subnets: ["subnet-xxxxxx"],
        securityGroups: ["sg-xxxxxxxxxxxxx"],
        taskDefinition: "test-task:1",
        enablePublicIp: true,
        usePublicIp: true,
        platformVersion: undefined,
        startTimeoutMs: 600_000,
      },
      taskMetadata: { directory: "/opt/gitlab-runner/metadata" },
      ssh: { username: "root", port: 22, readyTimeoutMs: 120_000, connectTimeoutMs: 10_000 },
    });
  });

  it("loads the guide's private-task variant (EnablePublicIP and UsePublicIP false)", () => {
    const text = SEED_TOML.replace('Subnet = "subnet-xxxxxx"', 'Subnet = "private-subnet-id"').replace(
      "EnablePublicIP = true",
      "EnablePublicIP = false\n  UsePublicIP = false",
    );
    const { config } = parse(text);
    assert.deepEqual(config.fargate.subnets, ["private-subnet-id"]);
    assert.equal(config.fargate.enablePublicIp, false);
    assert.equal(config.fargate.usePublicIp, false);
  });
});

describe("config: keys and defaults", () => {
  it("reads every key", () => {
    const { config, warnings } = parse(`LogLevel = "debug"
LogFormat = "json"
LogFile = "/var/log/fargate.log"
[Fargate]
Cluster = "arn:aws:ecs:us-east-2:123:cluster/ci"
Region = "eu-west-1"
Subnet = "subnet-a"
Subnets = ["subnet-b", "subnet-a", "subnet-c"]
SecurityGroup = "sg-1"
SecurityGroups = ["sg-2", "sg-1"]
TaskDefinition = "family:3"
EnablePublicIP = true
UsePublicIP = false
PlatformVersion = "1.4.0"
StartTimeout = "1h30m"
[TaskMetadata]
Directory = "/var/lib/fargate"
[SSH]
Username = "ci"
Port = 2222
ReadyTimeout = "90s"
ConnectTimeout = "1.5s"
`);
    assert.deepEqual(warnings, []);
    assert.equal(config.logLevel, "debug");
    assert.equal(config.logFormat, "json");
    assert.equal(config.logFile, "/var/log/fargate.log");
    assert.deepEqual(config.fargate, {
      cluster: "arn:aws:ecs:us-east-2:123:cluster/ci",
      region: "eu-west-1",
      subnets: ["subnet-a", "subnet-b", "subnet-c"],
      securityGroups: ["sg-1", "sg-2"],
      taskDefinition: "family:3",
      enablePublicIp: true,
      usePublicIp: false,
      platformVersion: "1.4.0",
      startTimeoutMs: 5_400_000,
    });
    assert.deepEqual(config.taskMetadata, { directory: "/var/lib/fargate" });
    assert.deepEqual(config.ssh, { username: "ci", port: 2222, readyTimeoutMs: 90_000, connectTimeoutMs: 1_500 });
  });

  it("fills defaults for everything optional", () => {
    const { config } = parse(MINIMAL);
    assert.equal(config.logLevel, "info");
    assert.equal(config.logFormat, "text");
    assert.equal(config.logFile, undefined);
    assert.equal(config.fargate.region, undefined);
    assert.deepEqual(config.fargate.securityGroups, []);
    assert.equal(config.fargate.enablePublicIp, false);
    assert.equal(config.fargate.usePublicIp, false);
    assert.equal(config.fargate.platformVersion, undefined);
    assert.equal(config.fargate.startTimeoutMs, 10 * 60_000);
    assert.equal(config.taskMetadata.directory, "/opt/gitlab-runner/metadata");
    assert.deepEqual(config.ssh, { username: "root", port: 22, readyTimeoutMs: 120_000, connectTimeoutMs: 10_000 });
  });

  it("uses Subnets alone, and UsePublicIP follows EnablePublicIP unless set", () => {
    const { config } = parse(`[Fargate]\nCluster = "c"\nTaskDefinition = "t"\nSubnets = ["s1", "s2"]\nEnablePublicIP = true\n`);
    assert.deepEqual(config.fargate.subnets, ["s1", "s2"]);
    assert.equal(config.fargate.usePublicIp, true);
  });

  it("treats an empty PlatformVersion as unset, as the Go driver did", () => {
    assert.equal(parse(MINIMAL + 'PlatformVersion = ""\n').config.fargate.platformVersion, undefined);
  });

  it("accepts logrus level spellings", () => {
    assert.equal(parse('LogLevel = "WARN"\n' + MINIMAL).config.logLevel, "warning");
    assert.equal(parse('LogLevel = "panic"\n' + MINIMAL).config.logLevel, "panic");
  });

  it("matches keys case-insensitively, as the Go driver's TOML decoder did", () => {
    const { config, warnings } = parse(`loglevel = "error"\n[fargate]\ncluster = "c"\nsubnet = "s"\ntaskdefinition = "t"\n[ssh]\nport = 2200\n`);
    assert.deepEqual(warnings, []);
    assert.equal(config.logLevel, "error");
    assert.equal(config.fargate.cluster, "c");
    assert.equal(config.ssh.port, 2200);
  });

  it("resolves relative paths against the config file's directory", () => {
    const { config } = parse(`LogFile = "logs/driver.log"\n` + MINIMAL + `[TaskMetadata]\nDirectory = "metadata"\n`);
    assert.equal(config.taskMetadata.directory, "/etc/gitlab-runner/metadata");
    assert.equal(config.logFile, "/etc/gitlab-runner/logs/driver.log");
  });
});

describe("config: precedence", () => {
  const env = { CUSTOM_ENV_FARGATE_TASK_DEFINITION: "from-job:2", CUSTOM_ENV_FARGATE_PLATFORM_VERSION: "1.3.0" };
  const file = MINIMAL + 'PlatformVersion = "1.4.0"\n';

  it("file when nothing overrides it", () => {
    const { config } = parse(file);
    assert.equal(config.fargate.taskDefinition, "td");
    assert.equal(config.fargate.platformVersion, "1.4.0");
  });

  it("job variable over file", () => {
    const { config } = parse(file, { env });
    assert.equal(config.fargate.taskDefinition, "from-job:2");
    assert.equal(config.fargate.platformVersion, "1.3.0");
  });

  it("flag over job variable", () => {
    const { config } = parse(file, { env, flags: { taskDefinition: "from-flag:9", platformVersion: "LATEST" } });
    assert.equal(config.fargate.taskDefinition, "from-flag:9");
    assert.equal(config.fargate.platformVersion, "LATEST");
  });

  it("an empty job variable does not override the file", () => {
    const { config } = parse(file, { env: { CUSTOM_ENV_FARGATE_TASK_DEFINITION: "" } });
    assert.equal(config.fargate.taskDefinition, "td");
  });

  it("TaskDefinition may come only from the job variable", () => {
    const { config } = parse(`[Fargate]\nCluster = "c"\nSubnet = "s"\n`, { env });
    assert.equal(config.fargate.taskDefinition, "from-job:2");
  });

  it("--debug over --log-level over LogLevel; --log-format and --log-file over the file", () => {
    const text = 'LogLevel = "error"\nLogFormat = "json"\nLogFile = "/a.log"\n' + MINIMAL;
    assert.equal(parse(text).config.logLevel, "error");
    assert.equal(parse(text, { flags: { logLevel: "warning" } }).config.logLevel, "warning");
    assert.equal(parse(text, { flags: { logLevel: "warning", debug: true } }).config.logLevel, "debug");
    const overridden = parse(text, { flags: { logFormat: "text-simple", logFile: "/b.log" } }).config;
    assert.equal(overridden.logFormat, "text-simple");
    assert.equal(overridden.logFile, "/b.log");
  });

  it("rejects unknown --log-level and --log-format values", () => {
    const problems = problemsOf(MINIMAL, { flags: { logLevel: "loud", logFormat: "xml" } });
    assert.deepEqual(problems, [
      '--log-level: expected one of debug, info, warning, error, fatal, panic, found "loud"',
      '--log-format: expected one of text, text-simple, json, found "xml"',
    ]);
  });
});

describe("config: problems", () => {
  it("reports every problem at once with key path, expected form and what was found", () => {
    const problems = problemsOf(`LogLevel = 3
LogFormat = "fancy"
[Fargate]
Cluster = 42
Subnets = ["ok", ""]
EnablePublicIP = "yes"
StartTimeout = 600
[SSH]
Port = 70000
Username = ""
ConnectTimeout = "10 seconds"
`);
    assert.deepEqual(problems, [
      "fargate.toml: LogLevel: expected one of debug, info, warning, error, fatal, panic, found 3",
      'fargate.toml: LogFormat: expected one of text, text-simple, json, found "fancy"',
      "fargate.toml: [Fargate] Cluster: expected a non-empty string (cluster name or ARN), found 42",
      "fargate.toml: [Fargate] Subnets[1]: expected a non-empty subnet ID string, found an empty string",
      'fargate.toml: [Fargate] EnablePublicIP: expected true or false, found "yes"',
      'fargate.toml: [Fargate] StartTimeout: expected a duration such as "90s", "10m" or "1h30m", found 600',
      "fargate.toml: [SSH] Username: expected a user name, found an empty string",
      "fargate.toml: [SSH] Port: expected a port number from 1 to 65535, found 70000",
      'fargate.toml: [SSH] ConnectTimeout: expected a duration such as "90s", "10m" or "1h30m" (more than zero), found "10 seconds"',
      "fargate.toml: [Fargate] TaskDefinition: expected a task definition (family, family:revision or ARN), found nothing; set it in the file, with --task-def or with the FARGATE_TASK_DEFINITION job variable",
    ]);
  });

  it("joins all problems into one line in the error message", () => {
    assert.throws(
      () => parse(`[Fargate]\nCluster = 42\n`),
      (err: Error) =>
        !err.message.includes("\n") &&
        err.message.startsWith("loading configuration: fargate.toml has 3 problems: [Fargate] Cluster: expected a non-empty string (cluster name or ARN), found 42; "),
    );
  });

  it("requires Cluster, TaskDefinition and at least one subnet", () => {
    assert.deepEqual(problemsOf(""), [
      "fargate.toml: [Fargate] Cluster: expected a non-empty string (cluster name or ARN), found nothing",
      "fargate.toml: [Fargate] TaskDefinition: expected a task definition (family, family:revision or ARN), found nothing; set it in the file, with --task-def or with the FARGATE_TASK_DEFINITION job variable",
      "fargate.toml: [Fargate] Subnet / Subnets: expected at least one subnet ID, found none",
    ]);
    assert.deepEqual(problemsOf(`[Fargate]\nCluster = "c"\nTaskDefinition = "t"\nSubnets = []\n`), [
      "fargate.toml: [Fargate] Subnet / Subnets: expected at least one subnet ID, found none",
    ]);
  });

  it("rejects UsePublicIP without EnablePublicIP", () => {
    assert.deepEqual(problemsOf(MINIMAL + "UsePublicIP = true\n"), [
      "fargate.toml: [Fargate] UsePublicIP: cannot be true while EnablePublicIP is false (the task would get no public IP to connect to)",
    ]);
  });

  it("reports a section that is not a table", () => {
    assert.deepEqual(problemsOf(`SSH = "root"\n` + MINIMAL), ['fargate.toml: SSH: expected a table ([SSH] section), found "root"']);
  });

  it("reports TOML syntax errors with line and column", () => {
    const problems = problemsOf(`LogLevel = "info"\n[Fargate]\nCluster = "c\n`);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? "", /^fargate\.toml: invalid TOML at line 3, column \d+: \S.*[^\n]$/);
  });
});

describe("config: Region", () => {
  const withRegion = (region: string) => MINIMAL + `Region = "${region}"\n`;

  it("accepts the region codes of every AWS partition", () => {
    const regions = [
      "us-east-2", "eu-central-1", "ap-southeast-7", "il-central-1", "mx-central-1", "cn-north-1", "cn-northwest-1",
      "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "us-isof-south-1", "eu-isoe-west-1", "eusc-de-east-1",
    ];
    for (const region of regions) assert.equal(parse(withRegion(region)).config.fargate.region, region, region);
  });

  it("rejects what is not a region code", () => {
    for (const region of ["us east", "US-EAST-1", "us-east", "useast1", "us-east-1a", "e-west-1", "europe-west-1", "us--east-1"]) {
      assert.deepEqual(problemsOf(withRegion(region)), [`fargate.toml: [Fargate] Region: expected an AWS region code such as "us-east-2", found ${JSON.stringify(region)}`], region);
    }
  });
});

describe("config: unknown keys", () => {
  it("warns about keys close to no known key of their table and otherwise ignores them (Go driver files with extra keys load)", () => {
    const { warnings, config } = parse(MINIMAL + `Port = 22\nColour = "blue"\n[Extras]\nPort = 1\n[SSH]\nLogLevel = "debug"\nTags = "x"\n`);
    assert.deepEqual(config.fargate.subnets, ["subnet-1"]);
    assert.equal(config.logLevel, "info");
    assert.deepEqual(warnings, [
      "fargate.toml: unknown table [Extras] (ignored)",
      "fargate.toml: unknown key [Fargate] Port (ignored); did you mean [SSH] Port?",
      "fargate.toml: unknown key [Fargate] Colour (ignored)",
      "fargate.toml: unknown key [SSH] LogLevel (ignored); did you mean LogLevel?",
      "fargate.toml: unknown key [SSH] Tags (ignored)",
    ]);
  });

  it("rejects a likely misspelling of a key of the same table, with the suggestion", () => {
    assert.deepEqual(problemsOf(MINIMAL + "EnablePublcIP = true\n"), ["fargate.toml: [Fargate] EnablePublcIP: unknown key; did you mean EnablePublicIP?"]);
    assert.deepEqual(problemsOf(MINIMAL + '[SSH]\nUsernme = "ci"\n'), ["fargate.toml: [SSH] Usernme: unknown key; did you mean Username?"]);
    assert.deepEqual(problemsOf('LogLevl = "debug"\n' + MINIMAL), ["fargate.toml: LogLevl: unknown key; did you mean LogLevel?"]);
    assert.deepEqual(problemsOf(MINIMAL + "[SSHH]\nPort = 1\n"), ["fargate.toml: [SSHH]: unknown table; did you mean [SSH]?"]);
  });

  it("reports misspellings with every other problem at once, the misspellings first", () => {
    assert.throws(() => parse(`[Fargate]\nCluster = "c"\nTaskDefinition = "t"\nSubnett = "subnet-1"\nColour = 1\n[SSH]\nPort = 0\nPrt = 2\n`), {
      message:
        "loading configuration: fargate.toml has 4 problems: [Fargate] Subnett: unknown key; did you mean Subnet?; " +
        "[SSH] Prt: unknown key; did you mean Port?; " +
        "[SSH] Port: expected a port number from 1 to 65535, found 0; " +
        "[Fargate] Subnet / Subnets: expected at least one subnet ID, found none " +
        "(also: unknown key [Fargate] Colour (ignored))",
    });
  });
});

describe("config: the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "fargate-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("loads from disk and returns the absolute path", () => {
    writeFileSync(join(dir, "fargate.toml"), SEED_TOML);
    const loaded = loadConfig({ path: "fargate.toml", cwd: dir });
    assert.equal(loaded.path, join(dir, "fargate.toml"));
    assert.equal(loaded.config.fargate.cluster, "test-cluster");
  });

  it("names a missing file and the fix", () => {
    assert.throws(() => loadConfig({ path: "config.toml", cwd: dir }), {
      message: `loading configuration: file "config.toml" (${join(dir, "config.toml")}) does not exist; pass the path of your fargate.toml with --config, e.g. --config /etc/gitlab-runner/fargate.toml`,
    });
  });
});
