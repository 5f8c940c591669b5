// Command-line parsing: the Go driver's flags, aliases and argument rules, and fargate exec's options.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCommandLine, UsageError } from "../../src/cli-args.js";

const NO_FLAGS = {
  config: undefined,
  debug: false,
  logLevel: undefined,
  logFormat: undefined,
  logFile: undefined,
  taskDefinition: undefined,
  platformVersion: undefined,
};

describe("cli args", () => {
  it("parses the runner's invocation", () => {
    assert.deepEqual(parseCommandLine(["--config", "/etc/gitlab-runner/fargate.toml", "custom", "run", "/tmp/s", "build_script"]), {
      kind: "custom",
      stage: "run",
      args: ["/tmp/s", "build_script"],
      flags: { ...NO_FLAGS, config: "/etc/gitlab-runner/fargate.toml" },
    });
  });

  it("reads every global flag, in both --flag value and --flag=value forms, and Go's single-dash form", () => {
    const command = parseCommandLine([
      "-config",
      "f.toml",
      "--debug",
      "--log-level=warning",
      "--log-format",
      "json",
      "--log-file",
      "/l.log",
      "--task-def",
      "fam:2",
      "-platform-version=1.4.0",
      "custom",
      "prepare",
    ]);
    assert.deepEqual(command, {
      kind: "custom",
      stage: "prepare",
      args: [],
      flags: { config: "f.toml", debug: true, logLevel: "warning", logFormat: "json", logFile: "/l.log", taskDefinition: "fam:2", platformVersion: "1.4.0" },
    });
  });

  it("takes Go's --debug=true / -debug=false forms of a boolean flag, and refuses other values", () => {
    const debugOf = (flag: string) => {
      const command = parseCommandLine([flag, "custom", "config"]);
      return command.kind === "custom" ? command.flags.debug : undefined;
    };
    assert.equal(debugOf("--debug=true"), true);
    assert.equal(debugOf("-debug=1"), true);
    assert.equal(debugOf("--debug=false"), false);
    assert.equal(debugOf("--debug=F"), false);
    assert.throws(() => parseCommandLine(["--debug=maybe", "custom", "config"]), UsageError);
  });

  it("accepts the Go driver's aliases", () => {
    const stage = (argv: string[]) => {
      const command = parseCommandLine(argv);
      return command.kind === "custom" ? command.stage : command.kind;
    };
    assert.equal(stage(["c", "co"]), "config");
    assert.equal(stage(["custom", "c"]), "config");
    assert.equal(stage(["c", "p"]), "prepare");
    assert.equal(stage(["c", "r", "s", "x"]), "run");
    assert.equal(stage(["c", "cl"]), "cleanup");
  });

  it("run accepts any stage name but needs both arguments", () => {
    const command = parseCommandLine(["custom", "run", "s.sh", "step_release"]);
    assert.equal(command.kind === "custom" && command.args[1], "step_release");
    assert.throws(() => parseCommandLine(["custom", "run", "s.sh"]), (err: UsageError) => err.message.startsWith("missing required arguments") && err.command === "custom");
  });

  it("help and version need nothing else", () => {
    assert.deepEqual(parseCommandLine(["--help"]), { kind: "help", topic: "main" });
    assert.deepEqual(parseCommandLine(["-h"]), { kind: "help", topic: "main" });
    assert.deepEqual(parseCommandLine([]), { kind: "help", topic: "main" });
    assert.deepEqual(parseCommandLine(["--version"]), { kind: "version" });
    assert.deepEqual(parseCommandLine(["custom", "--help"]), { kind: "help", topic: "custom" });
    assert.deepEqual(parseCommandLine(["custom"]), { kind: "help", topic: "custom" });
    assert.deepEqual(parseCommandLine(["exec", "--help"]), { kind: "help", topic: "exec" });
  });

  it("rejects unknown flags, commands and stages", () => {
    assert.throws(() => parseCommandLine(["--bogus", "custom", "config"]), /^UsageError: fargate: Unknown option '--bogus'/);
    assert.throws(() => parseCommandLine(["deploy"]), UsageError);
    assert.throws(() => parseCommandLine(["custom", "launch"]), /unknown stage "launch"/);
  });

  it("exec: defaults, its own --config/--file, global flags on either side", () => {
    assert.deepEqual(parseCommandLine(["exec", "build"]), {
      kind: "exec",
      file: ".gitlab-ci.yml",
      configPath: "fargate.toml",
      job: "build",
      flags: NO_FLAGS,
    });
    const command = parseCommandLine(["--config", "global.toml", "--debug", "exec", "-f", "ci.yml", "--log-format", "json", "test"]);
    assert.deepEqual(command, {
      kind: "exec",
      file: "ci.yml",
      configPath: "global.toml",
      job: "test",
      flags: { ...NO_FLAGS, config: "global.toml", debug: true, logFormat: "json" },
    });
    const own = parseCommandLine(["--config", "global.toml", "exec", "--config", "mine.toml", "test"]);
    assert.equal(own.kind === "exec" && own.configPath, "mine.toml");
    assert.throws(() => parseCommandLine(["exec", "a", "b"]), /runs one job/);
  });

  it("gc is reserved", () => {
    assert.equal(parseCommandLine(["gc"]).kind, "gc");
  });
});
