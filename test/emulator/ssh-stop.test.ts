// Stopping and crashing a task's container, for both runtimes: every process of the task ends
// (daemonized ones too), SIGKILL follows the timeout, the SSH server goes away.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createRuntime } from "../../emulator/containers/index.js";
import { startPrivateSshd } from "../../emulator/containers/sshd-process.js";
import { isAlive, KINDS, makeLaunch, randomLoopback, markedPids, ssh2Run, sshCli, startTask, tcpProbe, waitFor, within, type TestTask } from "./ssh-test-kit.js";

/** A started task running a background loop that ignores SIGTERM. */
async function startTaskIgnoringSigterm(kind: (typeof KINDS)[number]): Promise<TestTask> {
  const task = await startTask(kind);
  const started = await sshCli(
    task.address,
    task.key.path,
    "nohup bash -c 'trap \"\" TERM; echo trapped > trap-ready; while :; do sleep 0.2; done' >/dev/null 2>&1 </dev/null & echo ok",
  );
  assert.equal(started.stdout.toString(), "ok\n", started.stderr.toString());
  await waitFor("the trap to be set", () => exists(join(task.workDir, "trap-ready")));
  return task;
}

for (const kind of KINDS) {
  describe(`${kind} runtime: stop and crash`, { timeout: 120_000 }, () => {
    it("refuses connections before start() (ECONNREFUSED), then serves", async () => {
      const { launch, key } = makeLaunch();
      const address = launch.addresses[0];
      assert.equal(await tcpProbe(address), "ECONNREFUSED");
      const running = await createRuntime(kind).start(launch);
      try {
        assert.equal((await ssh2Run(address, key.privateKey, "echo up")).stdout.toString(), "up\n");
      } finally {
        await running.stop(2000);
        rmSync(launch.workDir, { recursive: true, force: true });
        rmSync(join(key.path, ".."), { recursive: true, force: true });
      }
    });

    it("listens on every address of the task", async () => {
      const { launch, key } = makeLaunch();
      const [first, second] = [launch.addresses[0], randomLoopback()];
      const running = await createRuntime(kind).start({ ...launch, addresses: [first, second] });
      try {
        for (const address of [first, second]) {
          assert.equal((await ssh2Run(address, key.privateKey, "echo here")).stdout.toString(), "here\n");
        }
      } finally {
        await running.stop(2000);
        rmSync(launch.workDir, { recursive: true, force: true });
        rmSync(join(key.path, ".."), { recursive: true, force: true });
      }
      assert.equal(await tcpProbe(second), "ECONNREFUSED");
    });

    it("rejects start() naming address:port when the port is taken", async () => {
      const { launch, key } = makeLaunch();
      const squatter = createServer();
      await new Promise<void>((resolve) => squatter.listen({ host: launch.addresses[0], port: 22 }, resolve));
      try {
        await assert.rejects(createRuntime(kind).start(launch), (error: Error) => {
          assert.match(error.message, new RegExp(`${launch.addresses[0].replaceAll(".", "\\.")}:22`));
          assert.match(error.message, /EADDRINUSE/);
          return true;
        });
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
        rmSync(launch.workDir, { recursive: true, force: true });
        rmSync(join(key.path, ".."), { recursive: true, force: true });
      }
      assert.deepEqual(markedPids(launch.taskId), [], "a failed start left processes behind");
    });

    it("stop() ends every process of the task, daemonized ones too, and the SSH server", async () => {
      const task = await startTask(kind);
      const started = await sshCli(
        task.address,
        task.key.path,
        "sleep 300 >/dev/null 2>&1 </dev/null & disown; setsid nohup sleep 301 >/dev/null 2>&1 </dev/null & echo ok",
      );
      assert.equal(started.stdout.toString(), "ok\n", started.stderr.toString());
      const live = ssh2Run(task.address, task.key.privateKey, "echo running > live-ready; exec sleep 302");
      await waitFor("the live session's command", () => exists(join(task.workDir, "live-ready")));
      let pids: number[] = [];
      await waitFor("both sleeps to run", () => {
        pids = markedPids(task.launch.taskId).filter((pid) => /^sleep 30[01]/.test(cmdline(pid)));
        return pids.length === 2;
      });
      const result = await within(task.stop(), 30_000, "stop()");
      assert.equal(result.exitCode, 143);
      // The live session ends too: its command got SIGTERM, or its connection was cut.
      const liveEnd = await within(live.then((ended) => ended.signal, () => "connection cut"), 15_000, "the live session to end");
      // The embedded server outlives the processes it ran, long enough to tell how they ended.
      if (kind === "embedded") assert.equal(liveEnd, "SIGTERM");
      for (const pid of pids) assert.equal(isAlive(pid), false, `sleep ${pid} survived stop()`);
      assert.deepEqual(markedPids(task.launch.taskId), []);
      if (kind === "openssh") assert.equal(isAlive(task.running.sshPid ?? 0), false, "sshd survived stop()");
      assert.equal(await tcpProbe(task.address), "ECONNREFUSED");
      assert.deepEqual(await task.running.stop(2000), result, "a second stop() gives the same result");
    });

    it("stop() SIGKILLs what ignores SIGTERM after the timeout (exit code 137)", async () => {
      const task = await startTaskIgnoringSigterm(kind);
      const result = await within(task.running.stop(500), 30_000, "stop()");
      assert.equal(result.exitCode, 137);
      assert.deepEqual(markedPids(task.launch.taskId), []);
      await task.stop();
    });

    it("a second stop() with a shorter timeout SIGKILLs by its own deadline (shutdown overtaking a StopTask)", async () => {
      const task = await startTaskIgnoringSigterm(kind);
      const first = task.running.stop(120_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const startedAt = Date.now();
      const second = await within(task.running.stop(300), 10_000, "the shorter stop()");
      assert.ok(Date.now() - startedAt < 8_000, `took ${Date.now() - startedAt} ms`);
      assert.equal(second.exitCode, 137);
      assert.deepEqual(await first, second, "both calls report the one stop");
      assert.deepEqual(markedPids(task.launch.taskId), []);
      await task.stop();
    });

    it("crash() ends the SSH server and calls onUnexpectedExit", async () => {
      const task = await startTask(kind);
      await sshCli(task.address, task.key.path, "sleep 300 >/dev/null 2>&1 </dev/null &");
      task.running.crash();
      const reason = await within(task.unexpectedExit, 15_000, "onUnexpectedExit");
      assert.ok(reason.length > 0);
      assert.equal(await tcpProbe(task.address), "ECONNREFUSED");
      // A container whose main process died takes its other processes with it.
      await waitFor("the task's processes to end", () => markedPids(task.launch.taskId).length === 0);
      await within(task.stop(), 15_000, "stop() after crash()");
    });

    if (kind === "openssh") {
      it("sshd killed from outside calls onUnexpectedExit with sshd's last words", async () => {
        const task = await startTask(kind);
        const pid = task.running.sshPid;
        assert.ok(pid && isAlive(pid));
        process.kill(pid, "SIGKILL");
        const reason = await within(task.unexpectedExit, 15_000, "onUnexpectedExit");
        assert.match(reason, new RegExp(`sshd \\(pid ${pid}\\) exited on SIGKILL`));
        assert.match(reason, /last stderr line: Server listening on/);
        assert.equal(await tcpProbe(task.address), "ECONNREFUSED");
        await within(task.stop(), 15_000, "stop() after sshd died");
      });
    }
  });
}

describe("private sshd", () => {
  it("fails to start with sshd's own complaint", { timeout: 30_000 }, async () => {
    const { launch, key } = makeLaunch();
    try {
      await assert.rejects(
        startPrivateSshd({
          name: "broken",
          configDir: launch.workDir,
          listenAddress: launch.addresses[0],
          workDir: launch.workDir,
          authorizedKeysFile: join(launch.workDir, "authorized_keys"),
          hostKey: { privateKey: "not a key\n", publicKey: "" },
          markerEntry: `FARGATE_EMULATOR_TASK=${launch.taskId}`,
        }),
        /broken_sshd_config: sshd exited with code \d+ before listening: .*no hostkeys available/,
      );
    } finally {
      rmSync(launch.workDir, { recursive: true, force: true });
      rmSync(join(key.path, ".."), { recursive: true, force: true });
    }
  });
});

function exists(path: string): boolean {
  try {
    return readFileSync(path, "utf8") !== "";
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ");
  } catch {
    return "";
  }
}
