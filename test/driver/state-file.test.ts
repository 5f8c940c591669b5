// The per-job state file: atomic write, modes, round trip, and the messages for missing, damaged
// and unwritable files.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { deleteState, ensureStateDirectory, readState, statePath, writeState } from "../../src/state/state-file.js";
import type { JobState } from "../../src/state/types.js";

const STATE_FILE = fileURLToPath(new URL("../../src/state/state-file.ts", import.meta.url));
const ID = "t0k3nABCD-" + "a".repeat(64);
const STATE: JobState = {
  version: 1,
  id: ID,
  jobId: "42",
  region: "us-east-2",
  cluster: "ci",
  taskArn: "arn:aws:ecs:us-east-2:123456789012:task/ci/0123456789abcdef",
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
  createdAt: "2026-12-03T19:00:00.000Z",
};
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** How a state-file.ts call ended. */
interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
}

/** Calls a state-file.ts function in a child process running as `nobody` (only root may start one); returns how it ended. */
function asNobody(fn: "ensureStateDirectory" | "writeState", ...args: unknown[]): Outcome {
  const code =
    "const m = await import(process.argv[1]); try { await m[process.argv[2]](...JSON.parse(process.argv[3])); console.log(JSON.stringify({ ok: true })); } " +
    "catch (e) { console.log(JSON.stringify({ ok: false, code: e.code, message: e.message })); }";
  const child = spawnSync(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", code, STATE_FILE, fn, JSON.stringify(args)],
    { uid: NOBODY, gid: NOBODY, cwd: tmpdir(), env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" },
  );
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as Outcome;
}

describe("state file", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "fargate-state-"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("names the file <directory>/<job id>.json and refuses ids with paths", () => {
    assert.equal(statePath("/opt/gitlab-runner/metadata", ID), `/opt/gitlab-runner/metadata/${ID}.json`);
    assert.throws(() => statePath("/d", "../x"), { code: "state_invalid_id" });
    assert.throws(() => statePath("/d", ""), { code: "state_invalid_id" });
  });

  it("creates the directory 0700 and the file 0600, and reads it back", async () => {
    const dir = join(root, "fresh", "metadata");
    const path = await writeState(dir, STATE);
    assert.equal(path, join(dir, `${ID}.json`));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await readState(dir, ID), STATE);
  });

  it("tightens an existing directory open to group or others (sudo mkdir -p makes 0755) to 0700", async () => {
    const dir = join(root, "seeded", "metadata");
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    await ensureStateDirectory(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    chmodSync(dir, 0o750);
    const path = await writeState(dir, STATE);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("leaves a writable directory someone else owns as it is, and still writes the file 0600", { skip: isRoot ? false : "needs root to act as another user" }, () => {
    const dir = join(root, "shared");
    mkdirSync(dir);
    chmodSync(root, 0o755);
    chmodSync(dir, 0o777); // owned by root: nobody may write in it, not chmod it
    assert.deepEqual(asNobody("writeState", dir, STATE), { ok: true });
    assert.equal(statSync(dir).mode & 0o777, 0o777);
    const file = statSync(join(dir, `${ID}.json`));
    assert.equal(file.uid, NOBODY);
    assert.equal(file.mode & 0o777, 0o600);
  });

  it("replaces the file atomically and leaves no temp files behind", async () => {
    const dir = join(root, "atomic");
    await writeState(dir, STATE);
    const complete: JobState = { ...STATE, address: "10.0.0.7", port: 22, username: "root", hostKey: "ssh-ed25519 AAAAC3Nza" };
    await writeState(dir, complete);
    assert.deepEqual(readdirSync(dir), [`${ID}.json`]);
    assert.deepEqual(await readState(dir, ID), complete);
    assert.equal(statSync(join(dir, `${ID}.json`)).mode & 0o777, 0o600);
  });

  it("reports a missing file in the Go driver's words", async () => {
    const dir = join(root, "empty");
    mkdirSync(dir);
    await assert.rejects(readState(dir, ID), {
      code: "state_missing",
      message: `obtaining information about the running task: trying to access file "${join(dir, `${ID}.json`)}": file does not exist`,
    });
  });

  it("reports a corrupted file, naming it", async () => {
    const dir = join(root, "corrupt");
    mkdirSync(dir);
    const path = join(dir, `${ID}.json`);
    writeFileSync(path, '{"version":1,"id":');
    await assert.rejects(readState(dir, ID), (err: Error & { code?: string }) => {
      assert.equal(err.code, "state_corrupted");
      assert.ok(err.message.startsWith(`obtaining information about the running task: reading file "${path}": it is not valid JSON (`), err.message);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
    writeFileSync(path, JSON.stringify({ ...STATE, taskArn: "", port: "22" }));
    await assert.rejects(readState(dir, ID), {
      code: "state_corrupted",
      message: /it does not hold a job state \(taskArn: .*; port: .*\)/,
    });
  });

  it("does not expose the private key when the file is damaged", async () => {
    const dir = join(root, "leak");
    mkdirSync(dir);
    writeFileSync(join(dir, `${ID}.json`), JSON.stringify({ ...STATE, version: 2 }));
    await assert.rejects(readState(dir, ID), (err: Error) => !err.message.includes("PRIVATE KEY"));
  });

  it("rejects a file that belongs to another job", async () => {
    const dir = join(root, "other");
    mkdirSync(dir);
    writeFileSync(join(dir, `${ID}.json`), JSON.stringify({ ...STATE, id: "someone-else" }));
    await assert.rejects(readState(dir, ID), { code: "state_corrupted", message: /belongs to job "someone-else"/ });
  });

  it("deletes the file, and tolerates it being gone", async () => {
    const dir = join(root, "delete");
    await writeState(dir, STATE);
    assert.equal(await deleteState(dir, ID), true);
    assert.equal(existsSync(join(dir, `${ID}.json`)), false);
    assert.equal(await deleteState(dir, ID), false);
  });

  it("names an unusable directory and the fix", async () => {
    const file = join(root, "not-a-dir");
    writeFileSync(file, "");
    await assert.rejects(ensureStateDirectory(file), {
      code: "state_dir_unusable",
      message: new RegExp(`^preparing the task metadata directory "${file}" \\(\\[TaskMetadata\\] Directory\\): .*gitlab-runner`),
    });
  });

  it("names a directory it may not write", async () => {
    // Root may write anywhere, so as root (CI) the driver runs as nobody on a directory root owns.
    const dir = join(root, "readonly");
    mkdirSync(dir, { mode: 0o500 });
    chmodSync(dir, isRoot ? 0o755 : 0o500);
    chmodSync(root, 0o755);
    const outcome: Outcome = isRoot
      ? asNobody("writeState", dir, STATE)
      : await writeState(dir, STATE).then(
          () => ({ ok: true }),
          (err: Error & { code?: string }) => ({ ok: false, code: err.code, message: err.message }),
        );
    assert.equal(outcome.ok, false, "the write was refused");
    assert.equal(outcome.code, "state_dir_unusable");
    assert.match(outcome.message ?? "", new RegExp(`^preparing the task metadata directory "${dir}" .*: permission denied; create it and make it writable`));
    assert.deepEqual(readdirSync(dir), []);
  });

  it("writes valid JSON a human can read", async () => {
    const dir = join(root, "pretty");
    const path = await writeState(dir, STATE);
    assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), STATE);
  });
});
