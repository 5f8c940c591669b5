// The seed document's fargate.toml, byte for byte, drives a real job: `fargate exec` runs all
// four stages against the emulator (which pre-seeds the guide's cluster, task definition, subnet
// and security group), connecting over the public IP as the file asks, with state files in the
// guide's /opt/gitlab-runner/metadata (hence root only).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { SEED_FARGATE_TOML, seedCodeBlock, seedDocument } from "../support/seed.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const metadataDir = "/opt/gitlab-runner/metadata";
const notRoot = process.getuid?.() !== 0 ? "needs root: the seed's metadata directory is /opt/gitlab-runner/metadata" : false;

describe("the seed's fargate.toml, unchanged", () => {
  it("is the file the guide shows", (t) => {
    const doc = seedDocument();
    if (!doc) return t.skip("shared/seed is not beside this checkout");
    assert.equal(seedCodeBlock(doc, "toml", 'LogLevel = "info"'), SEED_FARGATE_TOML);
  });

  describe("runs a job end to end", { skip: notRoot, timeout: 180_000 }, () => {
    let emulator: EmulatorHandle;
    let dir: string;
    before(async () => {
      emulator = await startEmulator({ timeScale: 0.02 });
      dir = mkdtempSync(path.join(tmpdir(), "seed-config-"));
    });
    after(async () => {
      await emulator?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("through fargate exec, over the public IP, leaving no task and no state file", async () => {
      const config = path.join(dir, "fargate.toml");
      writeFileSync(config, SEED_FARGATE_TOML);
      const ci = path.join(dir, ".gitlab-ci.yml");
      writeFileSync(ci, 'test:\n  script:\n    - echo "It works!"\n    - for i in $(seq 1 3); do echo "."; done\n');
      const before = existsSync(metadataDir) ? readdirSync(metadataDir) : [];
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
      const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "src/cli.ts"), "exec", "--file", ci, "--config", config, "test"], {
        cwd: repoRoot,
        env: { ...env, ...emulator.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (log += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (log += d));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      assert.equal(code, 0, log);
      assert.match(log, /\nIt works!\n.*\n(\.\n){3}/);
      assert.match(log, /Job succeeded\n$/);

      const tasks = await emulator.tasks();
      assert.equal(tasks.length, 1);
      assert.ok(tasks[0]!.publicIp, "EnablePublicIP = true gave the task a public IP");
      assert.match(log, new RegExp(`at ${tasks[0]!.publicIp!.replace(/\./g, "\\.")}:22`), "the driver connected over the public IP");
      assert.equal(tasks[0]!.desiredStatus, "STOPPED");
      assert.equal(statSync(metadataDir).mode & 0o777, 0o700);
      assert.deepEqual(readdirSync(metadataDir).sort(), before.sort(), "cleanup removed the job's state file");
    });
  });
});
