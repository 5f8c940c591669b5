// fargate-emulator timings. Prints figures; asserts nothing.
// 1. start time: spawn of `node dist/emulator/cli.js --listen 127.0.0.1:0` to its ready line
//    (median of 10), and of `node --import tsx emulator/cli.ts` for comparison;
// 2. RunTask → RUNNING (seen by DescribeTasks polling) → SSH port accepting TCP, through the AWS
//    SDK (throttling off, 10 ms polls), at --time-scale 1 (one run, ~40 s; skipped with --quick) and 0.02 (median of 10), with
//    the emulator's own created → RUNNING → sshd listening times next to them;
// 3. SSH connect+exec latency of `true` per server runtime and client: bench/ssh-exec-latency.ts.
// Run: npm run build && node --import tsx bench/emulator-timings.ts [--quick]
import { spawn } from "node:child_process";
import { connect } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { generateJobKeyPair } from "../src/ssh/keys.js";
import { ecsClient, emulatorCli, loadLine, median, repoRoot, requireBuild, run, runBenchmark, since, startEmulator, summary } from "./support.js";

const quick = process.argv.includes("--quick");
const readyPrefix = "fargate-emulator listening on ";

/** ms from spawn to the ready line; then SIGTERM and wait for the exit. */
function timeStart(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...args, "--listen", "127.0.0.1:0"], { cwd: repoRoot, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    let elapsed = NaN;
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (Number.isNaN(elapsed) && out.includes("\n") && out.startsWith(readyPrefix)) {
        elapsed = since(started);
        child.kill("SIGTERM");
      }
    });
    child.once("error", reject);
    child.once("exit", () => {
      clearTimeout(timer);
      if (Number.isNaN(elapsed)) reject(new Error(`emulator exited without a ready line: ${out}`));
      else resolve(elapsed);
    });
  });
}

async function startTimes(label: string, args: string[], runs: number): Promise<void> {
  await timeStart(args); // warm-up (page cache)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeStart(args));
  console.log(`  ${label.padEnd(34)} ${summary(times)}`);
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

interface Launch {
  running: number;
  ssh: number;
  emulatedRunning: number;
  emulatedSsh: number;
}

/** One RunTask through the SDK, polled to RUNNING and to an open SSH port; the task is then stopped. */
async function launchTimes(timeScale: number, runs: number): Promise<Launch[]> {
  // No throttling: fast DescribeTasks polling would otherwise be throttled and backed off.
  const emulator = await startEmulator({ ssh: "embedded", timeScale, args: ["--no-throttle"] });
  const ecs = ecsClient(emulator);
  const poll = timeScale >= 1 ? 100 : 10;
  const key = generateJobKeyPair("bench");
  const results: Launch[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      const out = await ecs.send(new RunTaskCommand({
        cluster: "test-cluster",
        taskDefinition: "test-task:1",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx"] } },
        overrides: { containerOverrides: [{ name: "ci-coordinator", environment: [{ name: "SSH_PUBLIC_KEY", value: key.publicKey }] }] },
      }));
      const taskArn = out.tasks?.[0]?.taskArn;
      if (!taskArn) throw new Error(`RunTask: ${JSON.stringify(out.failures)}`);
      let ip: string | undefined;
      for (;;) {
        const task = (await ecs.send(new DescribeTasksCommand({ cluster: "test-cluster", tasks: [taskArn] }))).tasks?.[0];
        if (task?.lastStatus === "RUNNING") {
          ip = task.attachments?.[0]?.details?.find((d) => d.name === "privateIPv4Address")?.value;
          break;
        }
        if (task?.lastStatus === "STOPPED") throw new Error(`task stopped: ${task.stoppedReason}`);
        await sleep(poll);
      }
      const running = since(started);
      while (!(await tcpOpen(ip!, 22))) await sleep(poll);
      const ssh = since(started);
      const timings = (await emulator.tasks()).find((t) => t.taskArn === taskArn)!.timings;
      results.push({ running, ssh, emulatedRunning: timings.running - timings.provisioning, emulatedSsh: timings.sshStarted - timings.provisioning });
      await ecs.send(new StopTaskCommand({ cluster: "test-cluster", task: taskArn }));
    }
  } finally {
    ecs.destroy();
    await emulator.stop();
  }
  return results;
}

function printLaunches(label: string, results: Launch[]): void {
  console.log(`  ${label}`);
  console.log(`    RunTask → RUNNING (DescribeTasks) ${summary(results.map((r) => r.running))}`);
  console.log(`    RunTask → SSH port open           ${summary(results.map((r) => r.ssh))}`);
  console.log(`    emulator: created → RUNNING       median ${median(results.map((r) => r.emulatedRunning)).toFixed(1)} ms; → sshd listening ${median(results.map((r) => r.emulatedSsh)).toFixed(1)} ms`);
}

runBenchmark(async () => {
  requireBuild();
  console.log(loadLine());
  console.log("emulator start (spawn → ready line, default --ssh embedded; median of 10)");
  await startTimes("node dist/emulator/cli.js", [emulatorCli], 10);
  await startTimes("node --import tsx emulator/cli.ts", ["--import", "tsx", path.join(repoRoot, "emulator/cli.ts")], 10);

  console.log(loadLine());
  console.log("task launch through the AWS SDK (embedded SSH runtime)");
  if (quick) console.log("  --time-scale 1: skipped (--quick)");
  else printLaunches("--time-scale 1 (one run)", await launchTimes(1, 1));
  printLaunches("--time-scale 0.02 (10 runs)", await launchTimes(0.02, 10));

  console.log(loadLine());
  console.log("SSH connect+exec of `true` (bench/ssh-exec-latency.ts 20):");
  const latency = await run(process.execPath, ["--import", "tsx", path.join(repoRoot, "bench/ssh-exec-latency.ts"), "20"], { cwd: repoRoot, timeoutMs: 300_000 });
  process.stdout.write(latency.stdout.trimEnd().replace(/^/gm, "  ") + "\n");
  if (latency.code !== 0) throw new Error(`ssh-exec-latency.ts: exit ${latency.code}\n${latency.stderr}`);
  console.log(loadLine());
});
