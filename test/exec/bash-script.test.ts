// The runner's bash script format, checked by running the generated scripts with real bash, both
// as `bash <file>` and fed to bash on stdin.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { BashBody, finishScript, shellEscape } from "../../src/exec/bash-script.js";
import { parseJob } from "../../src/exec/gitlab-ci.js";
import type { JobVariable } from "../../src/exec/job-variables.js";
import { stageScript } from "../../src/exec/stages.js";

const awkward = [
  "plain",
  "",
  "with space",
  `it's "quoted"`,
  "$HOME and ${PATH} and $(whoami) and `id`",
  "back\\slash \\n \\\\ end\\",
  "line one\nline two\n",
  "tab\there\r\u0007bell",
  "ünïcødé ✓ 日本語 🚀",
  "glob * ? [a] ~ {a,b} ! # ; & | < > %",
  "'",
  "\\'",
];

const work = mkdtempSync(path.join(tmpdir(), "exec-bash-"));

function runBash(script: string, how: "file" | "stdin", cwd = work) {
  const file = path.join(mkdtempSync(path.join(work, "s")), "script.");
  writeFileSync(file, script, { mode: 0o700 });
  const res = how === "file"
    ? spawnSync("bash", [file], { cwd, encoding: "utf8", timeout: 20_000 })
    : spawnSync("bash", [], { cwd, input: script, encoding: "utf8", timeout: 20_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const vars = (pairs: Record<string, string>): JobVariable[] =>
  Object.entries(pairs).map(([key, value]) => ({ key, value, masked: false, public: true }));

describe("shellEscape", () => {
  it("leaves safe words alone and ANSI-C quotes the rest like the runner", () => {
    assert.equal(shellEscape("abc-1.2/x_y@z,"), "abc-1.2/x_y@z,");
    assert.equal(shellEscape(""), "''");
    assert.equal(shellEscape("a b"), "$'a b'");
    assert.equal(shellEscape("it's"), "$'it\\'s'");
    assert.equal(shellEscape("a\\b"), "$'a\\\\b'");
    assert.equal(shellEscape("a\nb"), "$'a\\nb'");
    assert.equal(shellEscape("\x1b[32;1m"), "$'\\x1b[32;1m'");
    assert.equal(shellEscape("é"), "$'\\xc3\\xa9'");
  });

  for (const how of ["file", "stdin"] as const) {
    it(`round-trips awkward strings byte for byte through bash (${how})`, () => {
      const body = new BashBody();
      awkward.forEach((s, i) => body.line(`printf '%s\\0' ${shellEscape(s)} >> out${i}`));
      const dir = mkdtempSync(path.join(work, "rt-"));
      const res = runBash(finishScript(body), how, dir);
      assert.equal(res.code, 0, res.stderr);
      awkward.forEach((s, i) => assert.equal(readFileSync(path.join(dir, `out${i}`), "utf8"), `${s}\0`));
    });
  }
});

describe("stage scripts", () => {
  const def = parseJob(`
job:
  before_script: ["echo before"]
  script:
    - echo "It works!"
    - X='single $quoted'; echo "$X"
    - echo "$AWKWARD"
    - |
      echo multi
      echo line
    - ""
    - echo "ünï ✓"
  after_script: ["echo after $CI_JOB_STATUS"]
`, "job");
  const ctx = {
    def,
    vars: vars({ AWKWARD: awkward.join("|"), CI_JOB_STATUS: "success" }),
    projectDir: "builds/local/project",
    cacheDir: "cache",
    hostname: "host-1",
  };

  it("follows the runner's template", () => {
    const script = stageScript("build_script", ctx);
    const lines = script.split("\n");
    assert.equal(lines[0], "#!/usr/bin/env bash");
    assert.equal(lines[2], "trap 'exit 1' TERM");
    assert.equal(lines[4], 'case "$(set -o)" in *"pipefail"*) set -o pipefail;; esac; set -o errexit');
    assert.equal(lines[5], "set +o noclobber");
    assert.match(lines[6]!, /^\(trap 'exit 1' TERM; eval \$'.*'\) < \/dev\/null$/);
    assert.equal(lines[7], "exit 0");
    assert.equal(lines[8], "");
    assert.equal(lines.length, 9, "the whole body is on the one eval line");
  });

  for (const how of ["file", "stdin"] as const) {
    it(`runs the commands in the project dir and echoes each in green (${how})`, () => {
      const dir = mkdtempSync(path.join(work, "job-"));
      const get = runBash(stageScript("get_sources", ctx), how, dir);
      assert.equal(get.code, 0, get.stderr);
      assert.ok(statSync(path.join(dir, "builds/local/project")).isDirectory());
      assert.match(get.stdout, /Skipping Git checkout/);
      const res = runBash(stageScript("build_script", ctx), how, dir);
      assert.equal(res.code, 0, res.stderr);
      const expected = [
        "\x1b[32;1m$ echo before\x1b[0;m", "before",
        '\x1b[32;1m$ echo "It works!"\x1b[0;m', "It works!",
        "\x1b[32;1m$ X='single $quoted'; echo \"$X\"\x1b[0;m", "single $quoted",
        '\x1b[32;1m$ echo "$AWKWARD"\x1b[0;m', awkward.join("|"),
        "\x1b[32;1m$ echo multi # collapsed multi-line command\x1b[0;m", "multi", "line",
        "",
        '\x1b[32;1m$ echo "ünï ✓"\x1b[0;m', "ünï ✓",
        "",
      ].join("\n");
      assert.equal(res.stdout, expected);
      const after = runBash(stageScript("after_script", ctx), how, dir);
      assert.equal(after.stdout, "\x1b[32;1mRunning after script...\x1b[0;m\n\x1b[32;1m$ echo after $CI_JOB_STATUS\x1b[0;m\nafter success\n");
      const pwd = runBash(finishScript(new BashBody().cd("builds/local/project").line("pwd")), how, dir);
      assert.equal(pwd.stdout.trim(), path.join(dir, "builds/local/project"));
    });

    it(`stops at the first failing command with its exit code (${how})`, () => {
      const failing = parseJob("job:\n  script: [echo one, (exit 3), echo never]\n", "job");
      const dir = mkdtempSync(path.join(work, "fail-"));
      runBash(stageScript("get_sources", { ...ctx, def: failing }), how, dir);
      const res = runBash(stageScript("build_script", { ...ctx, def: failing }), how, dir);
      assert.equal(res.code, 3);
      assert.match(res.stdout, /^.*\$ echo one.*\none\n.*\$ \(exit 3\).*\n$/);
      assert.ok(!res.stdout.includes("never"));
    });
  }

  it("fails a pipeline whose first command fails (pipefail)", () => {
    const piped = parseJob("job:\n  script: [false | cat, echo never]\n", "job");
    const dir = mkdtempSync(path.join(work, "pipe-"));
    runBash(stageScript("get_sources", { ...ctx, def: piped }), "file", dir);
    const res = runBash(stageScript("build_script", { ...ctx, def: piped }), "file", dir);
    assert.equal(res.code, 1);
    assert.ok(!res.stdout.includes("never"));
  });

  it("says Running on ... via the config hostname in prepare_script", () => {
    const res = runBash(stageScript("prepare_script", ctx), "file");
    assert.match(res.stdout, /^Running on \S+ via host-1\.\.\.\n$/);
  });

  it("exports variables byte for byte, including values that look like commands", () => {
    const v = vars({ A: "$(touch pwned)", B: "x\ny", C: "ünï" });
    const job = parseJob('job:\n  script: [printf "%s|%s|%s" "$A" "$B" "$C"]\n', "job");
    const dir = mkdtempSync(path.join(work, "vars-"));
    runBash(stageScript("get_sources", { ...ctx, def: job, vars: v }), "file", dir);
    const res = runBash(stageScript("build_script", { ...ctx, def: job, vars: v }), "stdin", dir);
    assert.ok(res.stdout.endsWith("$(touch pwned)|x\ny|ünï"));
    assert.throws(() => statSync(path.join(dir, "builds/local/project/pwned")));
  });
});
