#!/usr/bin/env node
// fargate-emulator: parse flags, build the emulator, listen, print the endpoint; on SIGTERM or
// SIGINT stop every task (processes killed) and exit 0. The only place that decides exit codes.
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { ArgsError, parseArgs, usage } from "./cli-args.js";
import { Emulator, shutdownStopTimeoutMs } from "./emulator.js";
import { randomBlock } from "./model/addresses.js";
import { seedNames } from "./model/seed.js";
import { gatherPortPermissionFacts, privilegedPortWarning } from "./privileged-ports.js";
import { loadRuntime } from "./runtime.js";
import { createServer } from "./server.js";

// The hard limit on SIGTERM/SIGINT handling: well above the tasks' own SIGKILL deadline
// (shutdownStopTimeoutMs), leaving room for the kill and closing the SSH servers.
const shutdownTimeoutMs = shutdownStopTimeoutMs + 25_000;

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} fargate-emulator: ${line}\n`);
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ArgsError) {
      process.stderr.write(`fargate-emulator: ${e.message} (see --help)\n`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(usage);
    return 0;
  }
  let runtime;
  try {
    runtime = loadRuntime(opts.ssh);
  } catch (e) {
    process.stderr.write(`fargate-emulator: ${(e as Error).message}\n`);
    return 1;
  }
  const tempWorkDir = opts.workDir === undefined;
  const workDir = opts.workDir ? path.resolve(opts.workDir) : mkdtempSync(path.join(os.tmpdir(), "fargate-emulator-"));
  mkdirSync(path.join(workDir, "tasks"), { recursive: true });
  const emu = new Emulator({
    region: opts.region,
    timeScale: opts.timeScale,
    workDir,
    ...(opts.sshdDelayMs !== undefined ? { sshdDelayMs: opts.sshdDelayMs } : {}),
    throttle: opts.throttle,
    addressBlock: opts.addressBlock ?? randomBlock(),
    runtime,
    log,
  });
  const portWarning = opts.ssh === "none" ? undefined : privilegedPortWarning(await gatherPortPermissionFacts());
  if (portWarning) process.stderr.write(`fargate-emulator: ${portWarning}\n`);
  const server = createServer(emu, log);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: opts.host, port: opts.port, exclusive: true }, resolve);
    });
  } catch (e) {
    process.stderr.write(`fargate-emulator: listening on ${opts.host}:${opts.port}: ${(e as Error).message}\n`);
    if (tempWorkDir) rmSync(workDir, { recursive: true, force: true });
    return 1;
  }
  const { address, port } = server.address() as AddressInfo;
  const endpoint = `http://${address}:${port}`;
  process.stdout.write(
    [
      `fargate-emulator listening on ${endpoint}`,
      `  region ${opts.region} (account 123456789012): cluster ${seedNames.cluster}, task definition ${seedNames.family}:1, subnet ${seedNames.subnet}, security group ${seedNames.securityGroup}`,
      `  ssh runtime ${opts.ssh}, time scale ${opts.timeScale}, task addresses 127.${emu.addresses.block}.0.0/16, throttling ${opts.throttle ? "on" : "off"}`,
      `  work dir ${workDir}`,
      `  control API ${endpoint}/_emulator/health`,
      "",
    ].join("\n"),
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping every task`);
      const hard = setTimeout(() => {
        log(`shutdown took longer than ${shutdownTimeoutMs} ms; exiting anyway`);
        resolve(1);
      }, shutdownTimeoutMs);
      hard.unref();
      server.close();
      server.closeAllConnections();
      emu
        .shutdown()
        .catch((e: unknown) => log(`stopping tasks: ${(e as Error).message}`))
        .finally(() => {
          if (tempWorkDir) rmSync(workDir, { recursive: true, force: true });
          clearTimeout(hard);
          resolve(0);
        });
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fargate-emulator: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  },
);
