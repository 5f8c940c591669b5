// `npm run demo`: runs the setup guide's "It works!" job through the real driver against a local
// fargate-emulator, end to end, and exits with the job's exit code (0 when it succeeded).
// 1. starts the emulator as a separate process on an ephemeral loopback port;
// 2. runs `fargate exec --file examples/.gitlab-ci.yml --config examples/fargate.toml test`,
//    streaming its job log, with AWS settings that point only at the emulator;
// 3. checks through the emulator's control API that no task is left RUNNING, then stops it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const readyPrefix = "fargate-emulator listening on ";
const startTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;
const settleTimeoutMs = 15_000;

interface EmulatorTask {
  taskId: string;
  lastStatus: string;
  desiredStatus: string;
}

function say(line: string): void {
  process.stderr.write(`demo: ${line}\n`);
}

// The emulator gets its own process group: a Ctrl-C in the terminal must reach `fargate exec`
// (which stops the job and cleans up through the emulator), not kill the emulator under it.
function startEmulator(): Promise<{ child: ChildProcess; endpoint: string; output: () => string }> {
  const child = spawn(process.execPath, [
    "--import", "tsx", path.join(repoRoot, "emulator/cli.ts"), "--listen", "127.0.0.1:0", "--time-scale", "0.05",
  ], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true" } });
  // Last resort if the demo itself dies: never leave the emulator (in its own group) behind.
  process.once("exit", () => child.kill("SIGKILL"));
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const output = () => `--- emulator stdout:\n${out}--- emulator stderr:\n${err}`;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`starting fargate-emulator: ${why}\n${output()}`));
    };
    const timer = setTimeout(() => fail(`no "${readyPrefix}..." line within ${startTimeoutMs / 1000} s`), startTimeoutMs);
    let ready = false;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const newline = out.indexOf("\n");
      if (ready || newline < 0) return;
      ready = true;
      const first = out.slice(0, newline);
      if (!first.startsWith(readyPrefix)) return fail(`unexpected first line ${JSON.stringify(first)}`);
      const endpoint = first.slice(readyPrefix.length).trim();
      // Never point the AWS SDK anywhere but loopback.
      if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+$/.test(endpoint)) return fail(`endpoint ${endpoint} is not a loopback address`);
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({ child, endpoint, output });
    });
    child.once("exit", (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once("error", (e) => fail(e.message));
  });
}

async function listTasks(endpoint: string): Promise<EmulatorTask[]> {
  const res = await fetch(`${endpoint}/_emulator/tasks`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /_emulator/tasks: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as EmulatorTask[];
}

// Tasks being stopped pass through RUNNING → DEACTIVATING → ... → STOPPED: give them a moment.
async function tasksLeftRunning(endpoint: string): Promise<EmulatorTask[]> {
  const deadline = Date.now() + settleTimeoutMs;
  for (;;) {
    const running = (await listTasks(endpoint)).filter((t) => t.lastStatus === "RUNNING");
    if (running.length === 0 || Date.now() > deadline || running.every((t) => t.desiredStatus === "RUNNING")) return running;
    await sleep(200);
  }
}

async function stopEmulator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const result = await Promise.race([exited, sleep(stopTimeoutMs).then(() => "timeout" as const)]);
  if (result === "timeout") {
    child.kill("SIGKILL");
    throw new Error(`fargate-emulator did not exit within ${stopTimeoutMs / 1000} s of SIGTERM`);
  }
  if (result !== 0) throw new Error(`fargate-emulator exited with code ${result}`);
}

function runExec(endpoint: string): Promise<number> {
  // Only the emulator: no profile, no shared files, no instance metadata, dummy credentials.
  const env: Record<string, string | undefined> = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  Object.assign(env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-2",
    AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
    AWS_SECRET_ACCESS_KEY: "emulator-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  });
  const args = [
    "--import", "tsx", path.join(repoRoot, "src/cli.ts"), "exec",
    "--file", path.join(repoRoot, "examples/.gitlab-ci.yml"), "--config", path.join(repoRoot, "examples/fargate.toml"), "test",
  ];
  say(`running: fargate exec --file examples/.gitlab-ci.yml --config examples/fargate.toml test (AWS_ENDPOINT_URL=${endpoint})`);
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"], env });
  // A terminal Ctrl-C reaches fargate exec directly (same process group); a SIGTERM sent to the
  // demo alone is passed on. Either way exec stops the job, cleans up, and we wait for it.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  const onInt = () => undefined;
  process.on("SIGINT", onInt);
  process.on("SIGTERM", forward);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 128 : 2));
    });
  });
}

async function main(): Promise<number> {
  say("starting fargate-emulator (node --import tsx emulator/cli.ts --listen 127.0.0.1:0 --time-scale 0.05)");
  const emulator = await startEmulator();
  say(`fargate-emulator listening on ${emulator.endpoint}`);
  let code = 2;
  try {
    code = await runExec(emulator.endpoint);
    const left = await tasksLeftRunning(emulator.endpoint);
    if (left.length > 0) {
      say(`ERROR: ${left.length} task(s) still RUNNING after the job: ${left.map((t) => t.taskId).join(", ")}`);
      if (code === 0) code = 2;
    } else {
      say("no task left RUNNING in the emulator");
    }
  } catch (err) {
    say(`ERROR: ${(err as Error).message}`);
    process.stderr.write(emulator.output());
    code = code === 0 ? 2 : code;
  } finally {
    say("stopping fargate-emulator");
    await stopEmulator(emulator.child).catch((err: Error) => {
      say(`ERROR: ${err.message}`);
      process.stderr.write(emulator.output());
      if (code === 0) code = 2;
    });
  }
  say(code === 0 ? "the job succeeded" : `the job ended with exit code ${code}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    say(`ERROR: ${err.message}`);
    process.exit(2);
  },
);
