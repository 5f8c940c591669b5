// Soak: N jobs through the compiled `fargate exec` (node dist/src/cli.js exec --file F --config C
// JOB), C at a time, against one emulator (time scale 0.05, throttling ON), about R of them hit by
// one fault each, every job knowing its expected outcome. Prints outcomes, mismatches (goal 0),
// tasks left running and state files left (goal 0), ThrottlingExceptions absorbed, peak RSS of
// the emulator and of the driver processes, wall time. Prints figures; asserts nothing.
// Faults target one job only: a task-definition family of its own (FARGATE_TASK_DEFINITION) for
// task and SSH rules; a cluster of its own (own config file) for the RunTask error rule.
// Run: npm run build && node --import tsx bench/soak.ts [--jobs 100] [--concurrency 20]
//        [--fault-rate 0.1] [--seed 4] [--time-scale 0.05] [--ssh embedded|openssh] [--deadline-s 900]
//        [--api-rate 0.1]  (multiplies the emulator's API rate limits; throttling is always on)
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { CreateClusterCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import {
  awsEnv, cmdline, driverCli, ecsClient, loadLine, median, onCleanup, peakRssKiB, pidsMatching, quantile, requireBuild,
  interrupted, runBenchmark, since, startEmulator, tempDir, writeDriverConfig, type EmulatorHandle,
} from "./support.js";

const { values: flags } = parseArgs({
  options: {
    jobs: { type: "string", default: "100" },
    concurrency: { type: "string", default: "20" },
    "fault-rate": { type: "string", default: "0.1" },
    seed: { type: "string", default: "4" },
    "time-scale": { type: "string", default: "0.05" },
    ssh: { type: "string", default: "embedded" },
    "deadline-s": { type: "string", default: "900" },
    "api-rate": { type: "string", default: "0.1" },
  },
});
const jobCount = Number(flags.jobs);
const concurrency = Number(flags.concurrency);
const faultRate = Number(flags["fault-rate"]);
const deadlineMs = Number(flags["deadline-s"]) * 1000;
const jobTimeoutMs = 240_000;

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = "succeeded" | "build failure" | "system failure" | "cancelled" | "other";
interface Expected { outcome: Outcome; exitCode?: number }
interface Job {
  name: string;
  fault: string;
  script: string[];
  expected: Expected;
  family?: string;
  cluster?: string;
  config?: string;
  /** The ids and `times` of its fault rules, as POST /_emulator/faults answered. */
  rules?: { id: number; times: number | null; error?: string }[];
  actual?: { outcome: Outcome; exitCode?: number; code: number | null; signal: NodeJS.Signals | null; ms: number; log: string };
}

// Each fault: what the job's script does, the rules (given its own family or cluster), the verdict.
const FAULTS: Record<string, { script: string[]; own: "family" | "cluster" | "none"; rules: (own: string) => object[]; expected: Expected }> = {
  pullFails: {
    script: ["echo never runs"], own: "family", expected: { outcome: "system failure" },
    // No `times`: every prepare attempt (exec retries prepare 3 times) fails to start.
    rules: (family) => [{ task: "failToStart", stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found", family }],
  },
  spotInterruption: {
    // 25 s after RUNNING: late enough that even a loaded machine is in build_script (sleep 300) by then.
    script: ["echo sleeping", "sleep 300"], own: "family", expected: { outcome: "system failure" },
    rules: (family) => [{ task: "stopWhenRunning", afterMs: 25_000, stopCode: "SpotInterruption", family }],
  },
  scriptExit3: { script: ["echo failing on purpose", "exit 3"], own: "none", expected: { outcome: "build failure", exitCode: 3 }, rules: () => [] },
  sshRefused: { script: ["echo connected after refusals"], own: "family", expected: { outcome: "succeeded" }, rules: (family) => [{ ssh: "refuse", times: 2, family }] },
  runTaskThrottled: {
    script: ["echo started after throttling"], own: "cluster", expected: { outcome: "succeeded" },
    rules: (cluster) => [{ op: "RunTask", error: "ThrottlingException", times: 2, cluster }],
  },
};

function planJobs(): Job[] {
  const random = prng(Number(flags.seed));
  const kinds = Object.keys(FAULTS);
  return Array.from({ length: jobCount }, (_, i) => {
    const name = `job-${String(i).padStart(3, "0")}`;
    if (random() >= faultRate) return { name, fault: "none", script: [`echo "soak ${name}"`, "sleep 0.2"], expected: { outcome: "succeeded" } };
    const fault = kinds[Math.floor(random() * kinds.length)];
    const spec = FAULTS[fault];
    const job: Job = { name, fault, script: spec.script, expected: spec.expected };
    if (spec.own === "family") job.family = `soak-${name}`;
    if (spec.own === "cluster") job.cluster = `soak-${name}`;
    return job;
  });
}

/** Families, clusters, config files and fault rules for the faulted jobs. */
async function setUpFaults(emulator: EmulatorHandle, jobs: Job[], dir: string, metadataDir: string): Promise<void> {
  const ecs = ecsClient(emulator);
  try {
    const base = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "test-task:1" }))).taskDefinition!;
    for (const job of jobs.filter((j) => j.fault !== "none")) {
      if (job.family) {
        await ecs.send(new RegisterTaskDefinitionCommand({
          family: job.family, containerDefinitions: base.containerDefinitions, cpu: base.cpu, memory: base.memory,
          networkMode: base.networkMode, requiresCompatibilities: base.requiresCompatibilities,
        }));
      }
      if (job.cluster) {
        await ecs.send(new CreateClusterCommand({
          clusterName: job.cluster, capacityProviders: ["FARGATE", "FARGATE_SPOT"],
          defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
        }));
        job.config = writeDriverConfig(path.join(dir, `${job.name}.toml`), { metadataDir, cluster: job.cluster });
      }
      const rules = FAULTS[job.fault].rules(job.family ?? job.cluster ?? "");
      if (rules.length === 0) continue;
      const added = (await emulator.control("POST", "/_emulator/faults", rules)) as { id: number; remaining: number | null; error?: string }[];
      job.rules = added.map((r) => ({ id: r.id, times: r.remaining, error: r.error }));
    }
  } finally {
    ecs.destroy();
  }
}

function pipelineYaml(jobs: Job[]): string {
  return jobs.map((j) => [
    `${j.name}:`,
    ...(j.family ? ["  variables:", `    FARGATE_TASK_DEFINITION: "${j.family}"`] : []),
    "  script:",
    ...j.script.map((line) => `    - ${JSON.stringify(line)}`),
  ].join("\n")).join("\n") + "\n";
}

/** Peak VmHWM per driver process (exec and its stages), sampled every 200 ms through /proc. */
function sampleDriverRss(marker: string): { stop: () => Map<string, number[]> } {
  const peaks = new Map<number, { role: string; kib: number }>();
  const timer = setInterval(() => {
    for (const pid of pidsMatching(marker)) {
      const line = cmdline(pid);
      if (!line.includes(driverCli)) continue;
      const kib = peakRssKiB(pid);
      if (kib === undefined) continue;
      const role = / exec /.test(line) ? "exec" : `custom ${/ custom (\w+)/.exec(line)?.[1] ?? "?"}`;
      peaks.set(pid, { role, kib: Math.max(kib, peaks.get(pid)?.kib ?? 0) });
    }
  }, 200);
  return {
    stop: () => {
      clearInterval(timer);
      const byRole = new Map<string, number[]>();
      for (const { role, kib } of peaks.values()) byRole.set(role, [...(byRole.get(role) ?? []), kib]);
      return byRole;
    },
  };
}

function classify(code: number | null, log: string): { outcome: Outcome; exitCode?: number } {
  if (code === 0) return { outcome: "succeeded" };
  if (code === 2) return { outcome: "system failure" };
  if (code === 130) return { outcome: "cancelled" }; // Ctrl-C, the deadline or the job timeout
  const build = /Job failed: exit code (\d+)/.exec(log);
  if (code === 1 && build) return { outcome: "build failure", exitCode: Number(build[1]) };
  return { outcome: "other" };
}

const running = new Set<ChildProcess>();

/** One `fargate exec` run; SIGTERM after the job timeout or the soak's deadline, SIGKILL 30 s later. */
function runJob(job: Job, file: string, config: string, env: Record<string, string>, logDir: string, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const logPath = path.join(logDir, `${job.name}.log`);
    const log = createWriteStream(logPath);
    const child = spawn(process.execPath, [driverCli, "exec", "--file", file, "--config", job.config ?? config, job.name], {
      env, cwd: logDir, stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    // SIGTERM (exec cancels the job and cleans up) at the job timeout, the deadline or Ctrl-C; SIGKILL 30 s later.
    let kill: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill("SIGTERM");
      kill ??= setTimeout(() => child.kill("SIGKILL"), 30_000);
    };
    const term = setTimeout(stop, Math.min(jobTimeoutMs, Math.max(0, deadline - Date.now())));
    interrupted.signal.addEventListener("abort", stop);
    child.once("close", (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      interrupted.signal.removeEventListener("abort", stop);
      running.delete(child);
      log.end(() => {
        const text = readFileSync(logPath, "utf8");
        job.actual = { ...classify(code, text), code, signal, ms: since(started), log: text };
        resolve();
      });
    });
  });
}

async function settledTasks(emulator: EmulatorHandle) {
  const until = Date.now() + 15_000;
  for (;;) {
    const live = (await emulator.tasks()).filter((t) => t.desiredStatus !== "STOPPED" || t.lastStatus !== "STOPPED");
    if (live.every((t) => t.desiredStatus === "STOPPED" && t.lastStatus === "STOPPED") || Date.now() > until) return live;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** CPU seconds (user + system) of this process's waited-for children: the exec processes and their stages. */
function childrenCpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in USER_HZ (100)
}

/** Multiplies every token bucket's burst and refill rate (throttling stays on). */
async function scaleApiRates(emulator: EmulatorHandle, factor: number): Promise<string> {
  const { rates } = (await emulator.control("GET", "/_emulator/throttling")) as { rates: Record<string, { burst: number; perSecond: number }> };
  const scaled = Object.fromEntries(Object.entries(rates).map(([k, r]) => [k, { burst: Math.max(1, Math.round(r.burst * factor)), perSecond: r.perSecond * factor }]));
  await emulator.control("PUT", "/_emulator/throttling", { enabled: true, rates: scaled });
  return Object.entries(scaled).map(([k, r]) => `${k} ${r.burst}/${r.perSecond}s`).join(", ");
}

function mb(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

runBenchmark(async () => {
  requireBuild();
  const started = process.hrtime.bigint();
  const deadline = Date.now() + deadlineMs;
  const dir = tempDir("bench-soak-");
  const metadataDir = path.join(dir, "metadata");
  const logDir = path.join(dir, "jobs");
  mkdirSync(logDir);
  console.log(loadLine());
  console.log(`soak: ${jobCount} jobs, concurrency ${concurrency}, fault rate ${faultRate}, seed ${flags.seed}, time scale ${flags["time-scale"]}, --ssh ${flags.ssh}, throttling on, api rate x${flags["api-rate"]}`);

  const emulator = await startEmulator({ ssh: flags.ssh as "embedded" | "openssh", timeScale: Number(flags["time-scale"]) });
  onCleanup(() => emulator.stop());
  // Our emulator: the child of this process running emulator/cli.ts.
  const emulatorPid = pidsMatching("emulator/cli.ts").find((pid) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[1] === String(process.pid));
  onCleanup(async () => {
    // Last resort (failure, or a second Ctrl-C): SIGTERM (exec cleans up), then SIGKILL any exec
    // and stray stage process of ours.
    for (const child of running) child.kill("SIGTERM");
    const until = Date.now() + 40_000;
    while (running.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    for (const child of running) child.kill("SIGKILL");
    for (const pid of pidsMatching(dir)) process.kill(pid, "SIGKILL");
  });

  // A 2-CPU machine runs ~20 jobs at a time, far fewer than a runner fleet: scale the API rate
  // limits down so that the token buckets really throttle (--api-rate 1 keeps AWS's rates).
  console.log(`API rate limits (burst/refill): ${await scaleApiRates(emulator, Number(flags["api-rate"]))}`);
  const jobs = planJobs();
  const config = writeDriverConfig(path.join(dir, "fargate.toml"), { metadataDir });
  await setUpFaults(emulator, jobs, dir, metadataDir);
  const file = path.join(dir, ".gitlab-ci.yml");
  writeFileSync(file, pipelineYaml(jobs));
  const faulted = jobs.filter((j) => j.fault !== "none");
  console.log(`faulted jobs (${faulted.length}): ${faulted.map((j) => `${j.name}=${j.fault}`).join(", ")}`);

  const env = awsEnv(emulator);
  const sampler = sampleDriverRss(dir);
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job && Date.now() < deadline && !interrupted.signal.aborted; job = queue.shift()) await runJob(job, file, config, env, logDir, deadline);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const driverRss = sampler.stop();
  const jobsWall = since(started);
  const driverCpu = childrenCpuSeconds();

  // ---- report ----
  console.log(loadLine());
  const byOutcome = new Map<string, number>();
  for (const job of jobs) byOutcome.set(job.actual?.outcome ?? "not run", (byOutcome.get(job.actual?.outcome ?? "not run") ?? 0) + 1);
  console.log(`jobs by outcome: ${[...byOutcome].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  const durations = jobs.flatMap((j) => (j.actual ? [j.actual.ms] : []));
  console.log(`job wall time: median ${median(durations).toFixed(0)} ms, p90 ${quantile(durations, 0.9).toFixed(0)} ms, max ${Math.max(...durations).toFixed(0)} ms`);
  const notRun = jobs.filter((j) => !j.actual).length;
  if (notRun > 0) console.log(`jobs not run (deadline or Ctrl-C): ${notRun}`);
  // After Ctrl-C, the jobs it stopped are not mismatches.
  const stoppedByUs = (a: NonNullable<Job["actual"]>) => interrupted.signal.aborted && (a.outcome === "cancelled" || a.code === null);
  const mismatches = jobs.filter(({ actual: a, expected: e }) =>
    a !== undefined && !stoppedByUs(a) && (a.outcome !== e.outcome || (e.exitCode !== undefined && a.exitCode !== e.exitCode)));
  console.log(`expected vs actual mismatches: ${mismatches.length}${notRun > 0 || interrupted.signal.aborted ? " (among the jobs run to the end)" : ""}`);
  for (const job of mismatches) {
    const actual = job.actual ? `${job.actual.outcome}${job.actual.exitCode !== undefined ? ` (exit code ${job.actual.exitCode})` : ""}, exec exit ${job.actual.code ?? job.actual.signal}` : "not run";
    console.log(`  ${job.name} fault=${job.fault}: expected ${job.expected.outcome}${job.expected.exitCode !== undefined ? ` (exit code ${job.expected.exitCode})` : ""}, got ${actual}`);
    console.log((job.actual?.log ?? "").trimEnd().split("\n").slice(-25).map((l) => `    | ${l}`).join("\n"));
  }
  let stateFiles: string[] = [];
  try {
    stateFiles = readdirSync(metadataDir);
  } catch {
    // never created: no job got that far
  }
  console.log(`state files left in the metadata dir: ${stateFiles.length}${stateFiles.map((f) => `\n  ${f}`).join("")}`);

  try {
    // A rule used up is gone from GET /_emulator/faults: it fired `times` times.
    const active = new Map(((await emulator.control("GET", "/_emulator/faults")) as { id: number; fired: number }[]).map((r) => [r.id, r.fired]));
    const fired = (r: { id: number; times: number | null }) => active.get(r.id) ?? r.times ?? 0;
    for (const job of faulted) {
      const firings = job.rules ? `rule fired ${job.rules.map(fired).join("+")}x` : "no rule";
      const verdict = /.*Job (failed|succeeded).*/.exec(job.actual?.log ?? "")?.[0].trim() ?? "no verdict line";
      console.log(`  faulted ${job.name} ${job.fault.padEnd(16)} ${firings.padEnd(15)} ${((job.actual?.ms ?? 0) / 1000).toFixed(1).padStart(5)} s  ${verdict}`);
      const evidence = /^.*(SpotInterruption|CannotPullContainerError).*$/m.exec(job.actual?.log ?? "")?.[0].trim();
      if (evidence) console.log(`      ${evidence.slice(0, 300)}`);
    }

    const left = await settledTasks(emulator);
    console.log(`tasks left running in the emulator: ${left.length}${left.map((t) => `\n  ${t.taskId} ${t.family} ${t.lastStatus}/${t.desiredStatus}`).join("")}`);
    const allTasks = await emulator.tasks();
    console.log(`tasks created: ${allTasks.length}`);
    const requests = (await emulator.requests()) as { operation: string; outcome: string }[];
    const injected = jobs.flatMap((j) => j.rules ?? []).filter((r) => r.error === "ThrottlingException").reduce((n, r) => n + fired(r), 0);
    const throttled = new Map<string, number>();
    for (const r of requests.filter((x) => x.outcome === "ThrottlingException" || x.outcome === "RequestLimitExceeded")) {
      throttled.set(`${r.operation} ${r.outcome}`, (throttled.get(`${r.operation} ${r.outcome}`) ?? 0) + 1);
    }
    const totalThrottled = [...throttled.values()].reduce((a, b) => a + b, 0);
    console.log(`API calls: ${requests.length}${requests.length >= 10_000 ? " (the request log is full: counts below are a lower bound)" : ""}; ` +
      `throttling errors absorbed: ${totalThrottled} (${injected} injected by fault rules, ${totalThrottled - injected} from the token buckets)` +
      [...throttled].map(([k, v]) => `\n  ${k}: ${v}`).join(""));
  } catch (err) {
    if (!interrupted.signal.aborted) throw err;
    // A terminal Ctrl-C reaches the emulator's process group too: it stopped every task as it exited.
    console.log(`emulator already gone (${(err as Error).message}): it stopped its tasks itself`);
  }

  const emulatorPeak = emulatorPid ? peakRssKiB(emulatorPid) : undefined;
  console.log(`emulator peak RSS (VmHWM): ${emulatorPeak ? mb(emulatorPeak) : "unknown"}`);
  for (const [role, kibs] of [...driverRss].sort()) {
    console.log(`driver ${role.padEnd(16)} peak RSS max ${mb(Math.max(...kibs))}, median ${mb(median(kibs))} over ${kibs.length} processes sampled`);
  }
  console.log(`driver CPU (exec + stages): ${driverCpu.toFixed(1)} s, ${(driverCpu / jobs.filter((j) => j.actual).length).toFixed(2)} s per job`);
  console.log(`total wall time: ${(since(started) / 1000).toFixed(1)} s (jobs ${(jobsWall / 1000).toFixed(1)} s)`);
}, { graceful: true });
