// The embedded runtime: one in-process ssh2 Server per task (a second one, with another host
// key, for changeHostKey faults), fed by the front door. Commands run as local processes of the
// emulator's own user, whatever user name the client logged in with (it must exist in /etc/passwd).
import { timingSafeEqual } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import ssh2, { type Connection, type ParsedKey, type Server } from "ssh2";
import { ContainerLifecycle, EXIT_SIGKILL } from "./container-lifecycle.js";
import { serveSession } from "./embedded-session.js";
import { FrontDoor } from "./front-door.js";
import { generateHostKey, parseAuthorizedKey } from "./host-keys.js";
import { TaskProcesses } from "./processes.js";
import { findUser, type PasswdUser } from "./session-env.js";
import type { ContainerLaunch, ContainerRuntime, RunningContainer } from "./types.js";

const { Server: SshServer } = ssh2; // CommonJS: only a default export under ES modules

const EXIT_REPORT_WAIT_MS = 1000;

// What the task image's sshd announces; clients pick compatibility quirks from this string.
const SERVER_IDENT = "OpenSSH_9.2p1 Debian-2+deb12u3";

/** Runs each task's SSH server inside the emulator process, with ssh2. */
export class EmbeddedRuntime implements ContainerRuntime {
  readonly kind = "embedded" as const;

  /** Starts the task's SSH server and resolves once every address accepts connections. */
  async start(launch: ContainerLaunch): Promise<RunningContainer> {
    const processes = new TaskProcesses(launch.taskId);
    const allowedKey = parseAuthorizedKey(launch.authorizedKey);
    const hostKey = generateHostKey();
    const connections = new Set<Connection>();
    const commands = new Set<Promise<void>>(); // commands whose exit status is not out yet
    const state: { lifecycle?: ContainerLifecycle } = {}; // set once the front door is open
    const accepting = (): boolean => state.lifecycle?.accepting ?? false;

    const makeServer = (privateKey: string): Server =>
      new SshServer({ hostKeys: [privateKey], ident: SERVER_IDENT }, (client) => {
        connections.add(client);
        client.on("close", () => connections.delete(client));
        serveConnection(client, {
          allowedKey,
          workDir: launch.workDir,
          processes,
          accepting,
          onCommand: (reported) => {
            commands.add(reported);
            void reported.then(() => commands.delete(reported));
          },
        });
      });
    const primary = makeServer(hostKey.privateKey);
    let alternate: Server | undefined; // made on the first changeHostKey fault

    let frontDoor: FrontDoor;
    try {
      frontDoor = await FrontDoor.open({
        addresses: launch.addresses,
        port: launch.port,
        connectionFault: launch.connectionFault,
        onConnection: (socket, alternateHostKey) => {
          const server = alternateHostKey ? (alternate ??= makeServer(generateHostKey().privateKey)) : primary;
          server.injectSocket(socket);
        },
      });
    } catch (error) {
      throw new Error(`starting the embedded SSH server of task ${launch.taskId}: ${(error as Error).message}`, {
        cause: error,
      });
    }

    const running = new ContainerLifecycle(launch, processes, frontDoor, {
      close: async () => {
        // The processes are gone; give their sessions a moment to report how they ended.
        await Promise.race([Promise.all(commands), sleep(EXIT_REPORT_WAIT_MS)]);
        for (const client of connections) client.end();
      },
      kill: () => undefined, // the front door cuts every socket, which is all a crash leaves behind
    });
    state.lifecycle = running;
    return {
      hostKey: hostKey.publicKey,
      sshPid: undefined,
      stop: (stopTimeoutMs) => running.stop(stopTimeoutMs),
      crash: () => running.ended("the embedded SSH server crashed", EXIT_SIGKILL),
    };
  }
}

interface ConnectionContext {
  allowedKey: ParsedKey | undefined;
  workDir: string;
  processes: TaskProcesses;
  accepting: () => boolean;
  onCommand: (reported: Promise<void>) => void;
}

function serveConnection(client: Connection, context: ConnectionContext): void {
  let user: PasswdUser | undefined;
  const hangups = new Set<() => void>();
  client.on("error", () => undefined); // resets, faults and bad clients end the connection, nothing more
  client.on("close", () => {
    for (const hangup of hangups) hangup();
  });

  client.on("authentication", (ctx) => {
    const candidate = findUser(ctx.username);
    const key = context.allowedKey;
    if (ctx.method !== "publickey" || !candidate || !key || !context.accepting()) {
      return ctx.reject(["publickey"]);
    }
    if (!sameBytes(ctx.key.data, key.getPublicSSH())) return ctx.reject(["publickey"]);
    // Without a signature the client only asks whether this key would do.
    if (!ctx.signature) return ctx.accept();
    if (!ctx.blob || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
      return ctx.reject(["publickey"]);
    }
    user = candidate;
    ctx.accept();
  });

  client.on("ready", () => {
    client.on("session", (accept, reject) => {
      if (!user || !context.accepting()) return reject();
      serveSession(accept(), {
        user,
        workDir: context.workDir,
        processes: context.processes,
        accepting: context.accepting,
        onCommand: context.onCommand,
        onHangup: (hangup) => {
          hangups.add(hangup);
          return () => hangups.delete(hangup);
        },
      });
    });
  });
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
