// Runs the awscli (botocore: an independent client nobody here wrote) against an emulator, with
// an empty config and dummy credentials so nothing of the machine's own AWS setup leaks in.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Why awscli tests must skip on this machine (the reason), or false when `aws` is installed. Throws under CI. */
export function awscliSkipReason(): string | false {
  try {
    execFileSync("aws", ["--version"], { stdio: "ignore", timeout: 30_000 });
    return false;
  } catch {
    // .ci/run installs it: under CI a missing awscli is a failure, not a skip.
    if (process.env.CI === "true") throw new Error("the awscli (aws) is not installed");
    return "the awscli (aws) is not installed";
  }
}

/** The outcome of one awscli call. */
export interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An awscli bound to one emulator endpoint; dispose() removes its temporary HOME. */
export interface Awscli {
  run(...args: string[]): Promise<AwsResult>;
  /** Runs and parses the JSON output; fails the test on a non-zero exit. */
  json(...args: string[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  dispose(): void;
}

/** Makes an awscli wrapper for the emulator at `endpoint` (region us-east-2). */
export function awscliFor(endpoint: string): Awscli {
  const home = mkdtempSync(path.join(os.tmpdir(), "emulator-awscli-"));
  const empty = path.join(home, "empty");
  writeFileSync(empty, "");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
    AWS_SECRET_ACCESS_KEY: "emulator-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: empty,
    AWS_SHARED_CREDENTIALS_FILE: empty,
    AWS_PAGER: "",
  };
  const run = (...args: string[]): Promise<AwsResult> =>
    new Promise((resolve) => {
      execFile("aws", ["--endpoint-url", endpoint, "--region", "us-east-2", "--output", "json", ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  return {
    run,
    async json(...args: string[]) {
      const r = await run(...args);
      assert.equal(r.code, 0, `aws ${args.join(" ")}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}
