// What the driver's `custom run` costs on top of a plain SSH exec. Prints figures; asserts nothing.
// One task of an emulator started with `--ssh openssh` (a real sshd), prepared with the real CLI.
// Then, interleaved, 20 times each (after one warm-up):
//   (a) node dist/src/cli.js --config F custom run <script: true> build_script  (the whole stage)
//   (b) ssh -i KEY ... root@IP bash -s < script, to the same sshd with the job's key and address
//       from the driver's state file;
// plus `node -e 0` (the floor of any node process) and `fargate --version` (the CLI's own load). Medians, p90 and the ratio a/b.
// Run: npm run build && node --import tsx bench/run-overhead.ts [runs]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { JobState } from "../src/state/types.js";
import { customStage, driverCli, expectOk, loadLine, median, quantile, requireBuild, run, runBenchmark, runnerEnv, startEmulator, summary, tempDir, writeDriverConfig, onCleanup } from "./support.js";

const runs = Number(process.argv[2] ?? 20);

runBenchmark(async () => {
  requireBuild();
  const emulator = await startEmulator({ ssh: "openssh", timeScale: 0.02 });
  onCleanup(() => emulator.stop());
  const dir = tempDir("bench-run-");
  const metadataDir = path.join(dir, "metadata");
  const config = writeDriverConfig(path.join(dir, "fargate.toml"), { metadataDir });
  const env = runnerEnv(emulator, dir, 4242);

  console.log(loadLine());
  expectOk("custom prepare", await customStage(config, "prepare", [], env, dir));
  onCleanup(async () => void expectOk("custom cleanup", await customStage(config, "cleanup", [], env, dir)));
  const stateFile = readdirSync(metadataDir).find((f) => f.endsWith(".json"))!;
  const state = JSON.parse(readFileSync(path.join(metadataDir, stateFile), "utf8")) as JobState;
  const keyFile = path.join(dir, "id_ed25519");
  writeFileSync(keyFile, state.privateKey, { mode: 0o600 });
  const script = path.join(dir, "script.sh");
  writeFileSync(script, "#!/usr/bin/env bash\ntrue\n", { mode: 0o700 });
  const scriptText = readFileSync(script);
  console.log(`task ${state.taskArn.split("/").pop()} at ${state.address}:${state.port} (openssh runtime)`);

  const viaDriver = () => customStage(config, "run", [script, "build_script"], env, dir);
  const viaSsh = () =>
    run("ssh", [
      "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
      "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", String(state.port ?? 22), `root@${state.address}`, "bash", "-s",
    ], { input: scriptText, timeoutMs: 30_000 });
  const nodeFloor = () => run(process.execPath, ["-e", "0"]);
  const cliFloor = () => run(process.execPath, [driverCli, "--version"]);

  const times = { driver: [] as number[], ssh: [] as number[], node: [] as number[], cli: [] as number[] };
  for (let i = -1; i < runs; i++) {
    const a = expectOk("custom run", await viaDriver());
    const b = expectOk("ssh bash -s", await viaSsh());
    const c = expectOk("node -e 0", await nodeFloor());
    const d = expectOk("fargate --version", await cliFloor());
    if (i < 0) continue; // warm-up
    times.driver.push(a.ms);
    times.ssh.push(b.ms);
    times.node.push(c.ms);
    times.cli.push(d.ms);
  }
  console.log(loadLine());
  console.log(`(a) fargate custom run (true)   ${summary(times.driver)}`);
  console.log(`(b) ssh ... bash -s < script    ${summary(times.ssh)}`);
  console.log(`    node -e 0 (floor)           ${summary(times.node)}`);
  console.log(`    fargate --version (CLI load) ${summary(times.cli)}`);
  const ratio = (q: (v: number[]) => number) => (q(times.driver) / q(times.ssh)).toFixed(2);
  console.log(`ratio a/b: median ${ratio(median)}, p90 ${ratio((v) => quantile(v, 0.9))}; ` +
    `a - b median ${(median(times.driver) - median(times.ssh)).toFixed(1)} ms; a - node floor median ${(median(times.driver) - median(times.node)).toFixed(1)} ms`);
});
