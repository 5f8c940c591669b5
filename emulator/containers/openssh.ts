// The openssh runtime: a private /usr/sbin/sshd per task, listening on a free port of the task's
// private address; the front door pipes each accepted connection to it. Its files live in
// <workDir>/.sshd. Logins as another /etc/passwd user than root are up to sshd: it switches to that
// user, whose login shell then runs the command (a nologin shell refuses it).
import { mkdirSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { constants } from "node:os";
import { join } from "node:path";
import { ContainerLifecycle } from "./container-lifecycle.js";
import { checkLoopbackAddresses, FrontDoor } from "./front-door.js";
import { authorizedKeyLine, generateHostKey, parseAuthorizedKey } from "./host-keys.js";
import { TaskProcesses } from "./processes.js";
import { startPrivateSshd, type PrivateSshd, type SshdOptions } from "./sshd-process.js";
import type { ContainerLaunch, ContainerRuntime, RunningContainer } from "./types.js";

// What sshd_config's double quotes and the session rc's single quotes can carry safely.
const SAFE_PATH = /^\/[A-Za-z0-9_./+@,:=~ -]*$/;
const SAFE_TASK_ID = /^[A-Za-z0-9_.-]+$/;
const SSHD_EXIT_WAIT_MS = 5000;

/** Runs each task's SSH server as a private OpenSSH sshd. */
export class OpensshRuntime implements ContainerRuntime {
  readonly kind = "openssh" as const;

  /** Starts the task's sshd and resolves once every address accepts connections. */
  async start(launch: ContainerLaunch): Promise<RunningContainer> {
    try {
      return await startContainer(launch);
    } catch (error) {
      throw new Error(`starting the private sshd of task ${launch.taskId}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

async function startContainer(launch: ContainerLaunch): Promise<RunningContainer> {
  if (!SAFE_PATH.test(launch.workDir)) throw new Error(`work dir ${JSON.stringify(launch.workDir)} has characters sshd_config cannot carry`);
  if (!SAFE_TASK_ID.test(launch.taskId)) throw new Error(`task id ${JSON.stringify(launch.taskId)} has characters sshd_config cannot carry`);
  checkLoopbackAddresses(launch.addresses);
  const processes = new TaskProcesses(launch.taskId);
  const configDir = join(launch.workDir, ".sshd");
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const authorizedKeysFile = join(configDir, "authorized_keys");
  // Only the canonical key line: options or extra lines in SSH_PUBLIC_KEY never reach sshd.
  const key = parseAuthorizedKey(launch.authorizedKey);
  writeFileSync(authorizedKeysFile, key ? `${authorizedKeyLine(key)}\n` : "", { mode: 0o600 });

  const hostKey = generateHostKey();
  const sshdOptions = (name: string): SshdOptions => ({
    name,
    configDir,
    listenAddress: launch.addresses[0],
    workDir: launch.workDir,
    authorizedKeysFile,
    hostKey: name === "main" ? hostKey : generateHostKey(),
    markerEntry: processes.markerEntry,
  });
  const main = await startPrivateSshd(sshdOptions("main"));
  processes.trackProcess(main.pid);
  const state: { lifecycle?: ContainerLifecycle; earlyExit?: string; alternate?: Promise<PrivateSshd> } = {};
  main.child.on("close", (code, signal) => {
    const reason = `sshd (pid ${main.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`}; last stderr line: ${main.lastStderrLine()}`;
    const exitCode = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 255);
    if (state.lifecycle) state.lifecycle.ended(reason, exitCode);
    else state.earlyExit = reason;
  });

  // The alternate sshd (changeHostKey faults) starts on first use and again if it ever ends.
  const alternate = (): Promise<PrivateSshd> => {
    state.alternate ??= startPrivateSshd(sshdOptions("alternate")).then((sshd) => {
      processes.trackProcess(sshd.pid);
      sshd.child.on("close", () => (state.alternate = undefined));
      return sshd;
    });
    state.alternate.catch(() => (state.alternate = undefined));
    return state.alternate;
  };

  let frontDoor: FrontDoor;
  try {
    frontDoor = await FrontDoor.open({
      addresses: launch.addresses,
      port: launch.port,
      connectionFault: launch.connectionFault,
      onConnection: (socket, alternateHostKey) => {
        if (!alternateHostKey) return pipeTo(socket, main);
        socket.pause(); // until the alternate sshd listens
        alternate().then((sshd) => pipeTo(socket, sshd), () => socket.destroy());
      },
    });
  } catch (error) {
    main.child.kill("SIGKILL");
    throw error;
  }
  if (state.earlyExit) {
    await frontDoor.close();
    throw new Error(state.earlyExit);
  }

  const sshds = async (): Promise<PrivateSshd[]> =>
    [main, await state.alternate?.catch(() => undefined)].filter((sshd) => sshd !== undefined);
  const lifecycle = new ContainerLifecycle(launch, processes, frontDoor, {
    close: async () => {
      // Normally already gone: stop() SIGTERMs sshd with every other process of the task. An
      // alternate sshd that finished starting only after that is ended here.
      const all = await sshds();
      for (const sshd of all) if (sshd.child.exitCode === null && sshd.child.signalCode === null) sshd.child.kill("SIGTERM");
      await Promise.all(all.map(waitForExit));
    },
    kill: () => {
      void sshds().then((all) => all.forEach((sshd) => sshd.child.kill("SIGKILL")));
    },
  });
  state.lifecycle = lifecycle;
  return {
    hostKey: hostKey.publicKey,
    sshPid: main.pid,
    stop: (stopTimeoutMs) => lifecycle.stop(stopTimeoutMs),
    crash: () => main.child.kill("SIGKILL"), // the "close" handler above reports it
  };
}

function pipeTo(socket: Socket, sshd: PrivateSshd): void {
  const upstream = connect({ host: sshd.address, port: sshd.port });
  socket.setNoDelay(true);
  upstream.setNoDelay(true);
  socket.pipe(upstream);
  upstream.pipe(socket);
  upstream.on("error", () => socket.destroy());
  // A connection cut by the client or a fault is cut on the sshd side too.
  socket.on("close", () => upstream.destroy());
}

function waitForExit(sshd: PrivateSshd): Promise<void> {
  if (sshd.child.exitCode !== null || sshd.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sshd.child.kill("SIGKILL");
      resolve();
    }, SSHD_EXIT_WAIT_MS);
    sshd.child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
