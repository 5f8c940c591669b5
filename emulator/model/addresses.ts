// Loopback addresses for tasks. Each emulator owns one 127.B.0.0/16 block (B random unless fixed)
// so several emulators on one machine never hand out the same address: private addresses come
// from per-subnet /21 slices of the lower half, "public" ones from the upper half. An address that
// something else already listens on (on the container port) is skipped.
import net from "node:net";

/** Probes whether ip:port can be bound right now. */
export type BindProbe = (ip: string, port: number) => Promise<boolean>;

const subnetSlots = 16; // /21 slices of 127.B.0.0/17

/**
 * Tries to bind ip:port briefly; only EADDRINUSE counts as taken (other errors can't tell). EACCES
 * (a port below 1024 without root) says nothing about the address: the CLI warns about it at
 * startup and the task's start failure explains it (privileged-ports.ts).
 */
export const probeBind: BindProbe = (ip, port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (e: NodeJS.ErrnoException) => resolve(e.code !== "EADDRINUSE"));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });

/** A random block number in 2..254. */
export function randomBlock(): number {
  return 2 + Math.floor(Math.random() * 253);
}

/** Hands out subnet CIDRs and task addresses from one 127.B.0.0/16 block. */
export class AddressBlock {
  private readonly inUse = new Set<string>();
  private readonly slots = new Map<string, number>(); // subnet key -> slot
  private readonly cursors = new Map<string, number>(); // range key -> next offset

  constructor(
    readonly block: number,
    private readonly probe: BindProbe = probeBind,
  ) {
    if (!Number.isInteger(block) || block < 1 || block > 254) throw new Error(`address block must be 1..254, got ${block}`);
  }

  /** Reserves a /21 slot for a subnet (idempotent per key) and returns its CIDR. */
  subnetCidr(key: string): string {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      const used = new Set(this.slots.values());
      slot = [...Array(subnetSlots).keys()].find((s) => !used.has(s));
      if (slot === undefined) throw new Error(`no free subnet range left in 127.${this.block}.0.0/17 (${subnetSlots} subnets max)`);
      this.slots.set(key, slot);
    }
    return `127.${this.block}.${slot * 8}.0/21`;
  }

  /** Frees a subnet's slot (reset). */
  releaseSubnet(key: string): void {
    this.slots.delete(key);
  }

  /** A free private address in the subnet's slice, free on the port too. */
  allocatePrivate(subnetKey: string, port: number): Promise<string> {
    this.subnetCidr(subnetKey);
    const slot = this.slots.get(subnetKey)!;
    return this.allocate(`s${slot}`, slot * 8, 8, port);
  }

  /** A free "public" address in the upper half of the block. */
  allocatePublic(port: number): Promise<string> {
    return this.allocate("public", 128, 128, port);
  }

  /** Returns an address to the pool. */
  release(ip: string | undefined): void {
    if (ip) this.inUse.delete(ip);
  }

  /** Round-robin over the range so a just-freed address is not handed out again at once. */
  private async allocate(rangeKey: string, thirdStart: number, thirdCount: number, port: number): Promise<string> {
    const size = thirdCount * 256;
    let offset = this.cursors.get(rangeKey) ?? 0;
    for (let tries = 0; tries < size; tries++) {
      const candidateOffset = offset;
      offset = (offset + 1) % size;
      const third = thirdStart + Math.floor(candidateOffset / 256);
      const fourth = candidateOffset % 256;
      if (fourth === 0 || fourth === 255) continue; // network/broadcast-looking addresses read oddly
      const ip = `127.${this.block}.${third}.${fourth}`;
      if (this.inUse.has(ip)) continue;
      this.inUse.add(ip); // reserve before the async probe: concurrent RunTasks must not race
      this.cursors.set(rangeKey, offset);
      if (await this.probe(ip, port)) return ip;
      this.inUse.delete(ip);
    }
    throw new Error(`no free loopback address left in 127.${this.block}.${thirdStart}.0 (+${thirdCount}x256)`);
  }
}
