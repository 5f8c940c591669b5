// Median SSH connect+exec latency of a task's container, for each runtime and client: the ssh2
// client running `true`, and the OpenSSH ssh client. Prints figures; asserts nothing.
// Run: node --import tsx bench/ssh-exec-latency.ts [runs]
import { KINDS, ssh2Run, sshCli, startTask } from "../test/emulator/ssh-test-kit.js";

const runs = Number(process.argv[2] ?? 20);

async function median(measure: () => Promise<unknown>): Promise<number> {
  await measure(); // warm-up: first-connection costs (alternate code paths, page cache) are not steady state
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await measure();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
}

console.log(`median SSH connect+exec latency over ${runs} runs (ms)`);
for (const kind of KINDS) {
  const task = await startTask(kind);
  try {
    const viaSsh2 = await median(async () => {
      const result = await ssh2Run(task.address, task.key.privateKey, "true");
      if (result.code !== 0) throw new Error(`ssh2 exec of true on ${kind}: exit ${result.code}`);
    });
    const viaCli = await median(async () => {
      const result = await sshCli(task.address, task.key.path, "true");
      if (result.code !== 0) throw new Error(`ssh exec of true on ${kind}: exit ${result.code}: ${result.stderr}`);
    });
    console.log(`${kind.padEnd(9)} ssh2 client: ${viaSsh2.toFixed(1).padStart(7)}   ssh client: ${viaCli.toFixed(1).padStart(7)}`);
  } finally {
    await task.stop();
  }
}
