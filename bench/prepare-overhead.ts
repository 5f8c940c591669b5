// What `custom prepare` adds on top of the (emulated) platform. Prints figures; asserts nothing.
// For 20 jobs, one after the other: wall time of the real CLI `custom prepare` minus the
// emulator's own time from creating the task to its sshd listening (`/_emulator/tasks` timings).
// What remains is node + module loading, key generation, the API calls, DescribeTasks polling
// granularity and the SSH handshake(s) that prove the task ready. Each job is cleaned up (untimed).
// Run: npm run build && node --import tsx bench/prepare-overhead.ts [jobs] [--ssh openssh]
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { JobState } from "../src/state/types.js";
import { customStage, expectOk, loadLine, median, onCleanup, requireBuild, runBenchmark, runnerEnv, startEmulator, summary, tempDir, writeDriverConfig } from "./support.js";

const jobs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 20);
const ssh = process.argv.includes("--ssh") ? (process.argv[process.argv.indexOf("--ssh") + 1] as "embedded" | "openssh") : "embedded";
const timeScale = 0.02;

runBenchmark(async () => {
  requireBuild();
  const emulator = await startEmulator({ ssh, timeScale });
  onCleanup(() => emulator.stop());
  const dir = tempDir("bench-prepare-");
  const metadataDir = path.join(dir, "metadata");
  const config = writeDriverConfig(path.join(dir, "fargate.toml"), { metadataDir });
  console.log(loadLine());
  console.log(`${jobs} jobs, --ssh ${ssh}, --time-scale ${timeScale}`);

  const wall: number[] = [];
  const platform: number[] = [];
  const overhead: number[] = [];
  const phases = { toRunTask: [] as number[], afterSsh: [] as number[], describes: [] as number[] };
  for (let i = 0; i < jobs; i++) {
    const jobDir = path.join(dir, `job-${i}`);
    mkdirSync(jobDir);
    const env = runnerEnv(emulator, jobDir, 5000 + i);
    await emulator.control("DELETE", "/_emulator/requests");
    const spawnedAt = Date.now();
    const prepared = expectOk("custom prepare", await customStage(config, "prepare", [], env, jobDir));
    const stateFile = readdirSync(metadataDir).find((f) => f.endsWith(".json"))!;
    const state = JSON.parse(readFileSync(path.join(metadataDir, stateFile), "utf8")) as JobState;
    const timings = (await emulator.tasks()).find((t) => t.taskArn === state.taskArn)?.timings ?? {};
    const calls = (await emulator.requests()) as { time: string; operation: string }[];
    const runTaskAt = Date.parse(calls.find((c) => c.operation === "RunTask")?.time ?? "");
    phases.toRunTask.push(runTaskAt - spawnedAt);
    phases.afterSsh.push(spawnedAt + prepared.ms - (timings.sshStarted ?? NaN));
    phases.describes.push(calls.filter((c) => c.operation === "DescribeTasks").length);
    expectOk("custom cleanup", await customStage(config, "cleanup", [], env, jobDir));
    const emulated = (timings.sshStarted ?? NaN) - (timings.provisioning ?? NaN);
    wall.push(prepared.ms);
    platform.push(emulated);
    overhead.push(prepared.ms - emulated);
  }
  console.log(loadLine());
  console.log(`custom prepare wall time              ${summary(wall)}`);
  console.log(`platform (created → sshd listening)   ${summary(platform)}`);
  console.log(`prepare overhead (wall − platform)    ${summary(overhead)}`);
  console.log("where the overhead goes (medians):");
  console.log(`  spawn → RunTask received            ${summary(phases.toRunTask)}`);
  console.log(`  sshd listening → prepare exited     ${summary(phases.afterSsh)}`);
  console.log(`  DescribeTasks calls per prepare     median ${median(phases.describes)}`);
  console.log(`all overheads: ${overhead.map((x) => x.toFixed(0)).join(", ")} ms`);
});
