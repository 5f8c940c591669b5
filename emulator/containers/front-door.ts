// The task's listening side, shared by both runtimes: it owns the sockets on every task address
// (so "port 22 of the task" exists only between start and stop), applies the model's connection
// faults, and hands each surviving connection to the SSH server behind it.
import { createServer, type Server, type Socket } from "node:net";
import type { ConnectionFault } from "./types.js";

/** How a FrontDoor is set up. */
export interface FrontDoorOptions {
  addresses: string[];
  port: number;
  /** Asked once per accepted connection. */
  connectionFault: () => ConnectionFault | undefined;
  /** Receives each connection that was not refused; alternateHostKey for changeHostKey faults. */
  onConnection: (socket: Socket, alternateHostKey: boolean) => void;
}

/** Listeners on every task address, applying ConnectionFaults per accepted connection. */
export class FrontDoor {
  private readonly sockets = new Set<Socket>();
  private closing: Promise<unknown> | undefined;

  private constructor(
    private readonly servers: Server[],
    private readonly options: FrontDoorOptions,
  ) {
    for (const server of servers) server.on("connection", (socket) => this.accept(socket));
  }

  /** Listens on every address; rejects (listening nowhere) if any address cannot be bound. */
  static async open(options: FrontDoorOptions): Promise<FrontDoor> {
    checkLoopbackAddresses(options.addresses);
    const servers: Server[] = [];
    try {
      for (const address of options.addresses) {
        servers.push(await listen(address, options.port));
      }
    } catch (error) {
      await Promise.all(servers.map(closeServer));
      throw error;
    }
    return new FrontDoor(servers, options);
  }

  /** Stops listening at once (new connections are refused); open connections carry on. */
  stopListening(): void {
    // server.close() drops the listening socket now but calls back only once every accepted
    // connection has ended, hence no await here.
    this.closing ??= Promise.all(this.servers.map(closeServer));
  }

  /** Stops listening and cuts every connection still open. */
  async close(): Promise<void> {
    this.stopListening();
    for (const socket of this.sockets) socket.destroy();
    await this.closing;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.resetAndDestroy();
      return;
    }
    let fault: ConnectionFault | undefined;
    try {
      fault = this.options.connectionFault();
    } catch {
      fault = undefined; // a broken fault rule must not take the SSH server down with it
    }
    if (fault?.kind === "refuse") {
      socket.resetAndDestroy();
      return;
    }
    this.sockets.add(socket);
    socket.on("error", () => socket.destroy()); // resets by the client are routine
    socket.on("close", () => this.sockets.delete(socket));
    if (fault?.kind === "dropAfterMs") {
      const timer = setTimeout(() => socket.destroy(), Math.max(0, fault.ms));
      socket.on("close", () => clearTimeout(timer));
    }
    this.options.onConnection(socket, fault?.kind === "changeHostKey");
  }
}

/** Throws unless every address is a literal IPv4 address in 127.0.0.0/8 (and there is one). */
export function checkLoopbackAddresses(addresses: string[]): void {
  if (addresses.length === 0) throw new Error("no address to listen on");
  for (const address of addresses) {
    const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
    // Names are refused too: resolving one could reach a DNS server outside the machine.
    if (!octets || octets.slice(1).some((octet) => Number(octet) > 255)) {
      throw new Error(`listening on ${address}: not an IPv4 address in 127.0.0.0/8, the only addresses the emulator uses`);
    }
  }
}

function listen(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: false });
    server.once("error", (cause: Error) =>
      reject(new Error(`listening on ${address}:${port}: ${cause.message}`, { cause })),
    );
    server.listen({ host: address, port, exclusive: true }, () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
