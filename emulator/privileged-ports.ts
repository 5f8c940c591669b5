// Task SSH servers listen on their container port (22 for the seeded test-task:1). Ports below
// the kernel's ip_unprivileged_port_start (1024 by default) need root or CAP_NET_BIND_SERVICE:
// without them a task fails to start with EACCES. Detect that at startup and say so once, and
// give such a start failure a stoppedReason that says what to do.
import dgram from "node:dgram";
import { readFileSync } from "node:fs";

/** What decides whether this process may bind low ports; undefined where it could not be read. */
export interface PortPermissionFacts {
  /** Result of binding a loopback address on a low port: "ok" (or in use), "EACCES", or another error code. */
  lowPortBind: string | undefined;
  /** /proc/sys/net/ipv4/ip_unprivileged_port_start. */
  unprivilegedPortStart: number | undefined;
  uid: number | undefined;
  /** CAP_NET_BIND_SERVICE in the effective capability set (/proc/self/status CapEff). */
  netBindCapability: boolean | undefined;
}

/** The port the startup probe binds: the seeded task definition's container port. */
export const PROBE_PORT = 22;
const CAP_NET_BIND_SERVICE = 10;

const howToFix = "run the emulator as root, grant it cap_net_bind_service (setcap cap_net_bind_service=+ep on the node binary) or register a task definition with a containerPort >= 1024";

/** The lowest port this process may bind (0: any), from the facts; the bind attempt wins. */
export function lowestBindablePort(facts: PortPermissionFacts): number {
  const threshold = facts.unprivilegedPortStart ?? 1024;
  if (facts.lowPortBind === "ok") return 0;
  if (facts.lowPortBind === "EACCES") return Math.max(threshold, PROBE_PORT + 1);
  if (facts.uid === 0 || facts.netBindCapability) return 0;
  return facts.uid === undefined ? 0 : threshold; // nothing known: assume it works, as it does as root
}

/** The one startup warning line when tasks on low container ports cannot start, else undefined. */
export function privilegedPortWarning(facts: PortPermissionFacts): string | undefined {
  const lowest = lowestBindablePort(facts);
  if (lowest <= PROBE_PORT) return undefined;
  return `warning: this process cannot bind ports below ${lowest} (not root, no cap_net_bind_service): tasks whose container port is below ${lowest}, like the seeded test-task:1 (port 22), will fail to start (TaskFailedToStart, EACCES); ${howToFix}`;
}

/** A start failure's stoppedReason: a permission error on a low port says why and what to do. */
export function containerStartFailureReason(error: unknown, port: number): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = `CannotStartContainerError: ${message}`;
  if (!isPermissionDenied(error) || port >= 1024) return reason;
  return `${reason}: container port ${port} is below 1024, which needs root or cap_net_bind_service; ${howToFix}`;
}

function isPermissionDenied(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === "EACCES" || /\bEACCES\b/.test(e.message)) return true;
  }
  return false;
}

/** Gathers the facts: binds a UDP socket on 127.0.0.1:PROBE_PORT (same kernel check as TCP, never listens). */
export async function gatherPortPermissionFacts(): Promise<PortPermissionFacts> {
  return {
    lowPortBind: await tryBind("127.0.0.1", PROBE_PORT),
    unprivilegedPortStart: readNumber("/proc/sys/net/ipv4/ip_unprivileged_port_start"),
    uid: process.getuid?.(),
    netBindCapability: effectiveCapability(CAP_NET_BIND_SERVICE),
  };
}

function tryBind(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", (e: NodeJS.ErrnoException) => {
      try {
        socket.close();
      } catch {
        // never bound: nothing to close
      }
      // In use means the permission check passed: the kernel checks privilege first.
      resolve(e.code === "EADDRINUSE" ? "ok" : (e.code ?? "unknown"));
    });
    socket.bind({ address, port, exclusive: true }, () => socket.close(() => resolve("ok")));
  });
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function effectiveCapability(bit: number): boolean | undefined {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return hex === undefined ? undefined : ((BigInt(`0x${hex}`) >> BigInt(bit)) & 1n) === 1n;
  } catch {
    return undefined;
  }
}
