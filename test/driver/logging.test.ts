// The logger: formats, level filtering, redaction, LogFile mode, and process warnings kept out of the job log.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { LogFormat, LogLevel } from "../../src/log.js";
import { createLogger, parseLogLevel, redactFields, redactText } from "../../src/logging.js";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----";

function capture(level: LogLevel, format: LogFormat, file?: string) {
  const lines: string[] = [];
  let clock = Date.parse("2026-12-03T19:00:00.000Z");
  const log = createLogger({
    level,
    format,
    file,
    stderr: { write: (chunk: string) => lines.push(chunk) },
    now: () => new Date(clock),
  });
  return { log, lines, advance: (ms: number) => (clock += ms) };
}

describe("logging: formats", () => {
  it("text: level, seconds since start, message and fields", () => {
    const { log, lines, advance } = capture("info", "text");
    advance(2_500);
    log.info("Task is RUNNING", { task: "abc", elapsed: "37.1s", note: "two words", missing: undefined });
    assert.deepEqual(lines, ['INFO[0002] Task is RUNNING  task=abc elapsed=37.1s note="two words"\n']);
  });

  it("text-simple: just the message and fields, warnings and errors labelled", () => {
    const { log, lines } = capture("info", "text-simple");
    log.info("Starting task", { cluster: "ci" });
    log.warn("Slow start");
    log.error("Gone");
    assert.deepEqual(lines, ["Starting task  cluster=ci\n", "WARNING: Slow start\n", "ERROR: Gone\n"]);
  });

  it("json: one object a line with time, level, msg and fields", () => {
    const { log, lines } = capture("debug", "json");
    log.debug("multi\nline", { attempt: 2, ok: true });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith("\n"));
    assert.deepEqual(JSON.parse(lines[0] ?? ""), { time: "2026-12-03T19:00:00.000Z", level: "debug", msg: "multi\nline", attempt: 2, ok: true });
  });

  it("json: fields never overwrite time, level or msg", () => {
    const { log, lines } = capture("info", "json");
    log.info("real", { level: "fake", msg: "fake", time: 1 });
    assert.deepEqual(JSON.parse(lines[0] ?? ""), {
      time: "2026-12-03T19:00:00.000Z",
      level: "info",
      msg: "real",
      "fields.level": "fake",
      "fields.msg": "fake",
      "fields.time": 1,
    });
  });

  it("keeps text lines on one line", () => {
    const { log, lines } = capture("info", "text");
    log.info("first\nsecond", { detail: "a\nb" });
    assert.deepEqual(lines, ['INFO[0000] first second  detail="a b"\n']);
  });

  it("failure: ERROR: <message> in text formats, a json line in json, whatever the level", () => {
    const text = capture("panic", "text");
    text.log.failure("starting new Fargate task: boom");
    assert.deepEqual(text.lines, ["ERROR: starting new Fargate task: boom\n"]);
    const json = capture("panic", "json");
    json.log.failure("boom");
    assert.deepEqual(JSON.parse(json.lines[0] ?? ""), { time: "2026-12-03T19:00:00.000Z", level: "error", msg: "boom" });
  });
});

describe("logging: levels", () => {
  it("drops lines below the level", () => {
    const { log, lines } = capture("warning", "text-simple");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    assert.deepEqual(lines, ["WARNING: w\n", "ERROR: e\n"]);
  });

  it("debug shows everything", () => {
    const { log, lines } = capture("debug", "text-simple");
    log.debug("d");
    log.info("i");
    assert.equal(lines.length, 2);
  });

  it("parses logrus level names", () => {
    assert.equal(parseLogLevel("Warn"), "warning");
    assert.equal(parseLogLevel("trace"), "debug");
    assert.equal(parseLogLevel("fatal"), "fatal");
    assert.equal(parseLogLevel("loud"), undefined);
  });
});

describe("logging: redaction", () => {
  it("never prints values of key/token/secret/password fields", () => {
    const { log, lines } = capture("debug", "json");
    log.info("connecting", { privateKey: "abc", jobToken: "glcbt-1", awsSecretAccessKey: "s", password: "p", host: "10.0.0.1" });
    const line = lines.join("");
    for (const secret of ['"abc"', "glcbt-1", '"s"', '"p"']) assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
    assert.ok(line.includes("10.0.0.1"));
    assert.deepEqual(redactFields({ token: "x", count: 1 }), { token: "[REDACTED]", count: 1 });
  });

  it("never prints a private key block, in the message or any field", () => {
    for (const format of ["text", "text-simple", "json"] as const) {
      const { log, lines } = capture("debug", format);
      log.error(`bad key ${KEY} here`, { detail: KEY, truncated: KEY.slice(0, 60) });
      log.failure(`failed with ${KEY}`);
      const out = lines.join("");
      assert.ok(!out.includes("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"), `${format}: ${out}`);
      assert.ok(!out.includes("BEGIN OPENSSH"), `${format}: ${out}`);
      assert.ok(out.includes("[REDACTED PRIVATE KEY]"));
    }
  });

  it("redacts PEM blocks of any type", () => {
    assert.equal(redactText("a -----BEGIN RSA PRIVATE KEY-----\nxyz\n-----END RSA PRIVATE KEY----- b"), "a [REDACTED PRIVATE KEY] b");
    assert.equal(redactText("-----BEGIN PRIVATE KEY-----\nxyz"), "[REDACTED PRIVATE KEY]");
  });
});

describe("logging: LogFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "fargate-log-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("creates the file 0600 and writes there instead of stderr", () => {
    const file = join(dir, "driver.log");
    const { log, lines } = capture("info", "text-simple", file);
    log.info("to the file");
    log.close();
    assert.deepEqual(lines, []);
    assert.equal(readFileSync(file, "utf8"), "to the file\n");
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("appends to an existing file", () => {
    const file = join(dir, "existing.log");
    writeFileSync(file, "before\n", { mode: 0o600 });
    const { log } = capture("info", "text-simple", file);
    log.info("after");
    log.close();
    assert.equal(readFileSync(file, "utf8"), "before\nafter\n");
  });

  it("sends the final failure to both the file and stderr", () => {
    const file = join(dir, "failure.log");
    const { log, lines } = capture("info", "text", file);
    log.failure("boom");
    log.close();
    assert.deepEqual(lines, ["ERROR: boom\n"]);
    assert.equal(readFileSync(file, "utf8"), "ERROR: boom\n");
  });

  it("names a LogFile it cannot open and the fix", () => {
    assert.throws(() => capture("info", "text", join(dir, "missing-dir", "x.log")), {
      code: "log_file_unwritable",
      message: /^opening the log file ".*missing-dir\/x\.log": .*check that its directory exists and is writable/,
    });
  });
});

describe("logging: process warnings", () => {
  it("routes Node process warnings (like the AWS SDK's) to debug instead of the job log", () => {
    const logging = fileURLToPath(new URL("../../src/logging.ts", import.meta.url));
    const script = (level: string) => `
      import { createLogger, routeProcessWarnings } from ${JSON.stringify(logging)};
      const log = createLogger({ level: ${JSON.stringify(level)}, format: "text-simple" });
      routeProcessWarnings(log);
      process.emitWarning("NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\\nwill require node >=22.");
      setTimeout(() => {}, 20);
    `;
    const run = (level: string) =>
      spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script(level)], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    const quiet = run("info");
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.equal(quiet.stderr, "");
    const verbose = run("debug");
    assert.match(verbose.stderr, /^process warning: Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript \(v3\) will require node >=22\.\n$/);
  });
});
