import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP forwarder on 127.0.0.1:<free port> in front of a real service (PostgreSQL, Redis), so a
 * test can take the service away from one server without touching the machine's service, which
 * other test files use at the same time.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #pairs = new Set<[Socket, Socket]>();
  #cut = false;
  #stalled = false;

  private constructor(
    server: Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((inbound) => {
      const proxy = holder.proxy;
      if (!proxy || proxy.#cut) {
        // Cut: connections are accepted and dropped at once (a peer that went away).
        inbound.destroy();
        return;
      }
      const outbound = connect(targetPort, targetHost);
      proxy.#track(inbound);
      proxy.#track(outbound);
      const pair: [Socket, Socket] = [inbound, outbound];
      proxy.#pairs.add(pair);
      inbound.on("close", () => proxy.#pairs.delete(pair));
      if (!proxy.#stalled) proxy.#flow(pair);
      inbound.on("error", () => outbound.destroy());
      outbound.on("error", () => inbound.destroy());
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no port");
    holder.proxy = new TcpProxy(server, address.port);
    return holder.proxy;
  }

  /** Live connections through the proxy right now. */
  get connections(): number {
    return this.#sockets.size / 2;
  }

  /** Destroys every live connection (both sides) and drops new ones until `restore`. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  /**
   * Stops forwarding without closing anything: connections stay open and bytes wait in the
   * buffers, as on a stalled network or a Redis busy with a slow script. `unstall` delivers them.
   */
  stall(): void {
    this.#stalled = true;
    for (const [inbound, outbound] of this.#pairs) {
      inbound.unpipe(outbound);
      outbound.unpipe(inbound);
      inbound.pause();
      outbound.pause();
    }
  }

  unstall(): void {
    this.#stalled = false;
    for (const pair of this.#pairs) this.#flow(pair);
  }

  #flow([inbound, outbound]: [Socket, Socket]): void {
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.resume();
    outbound.resume();
  }

  /** `url` with its host and port replaced by this proxy's. */
  rewrite(url: string): string {
    const target = new URL(url);
    target.hostname = "127.0.0.1";
    target.port = String(this.port);
    return target.toString();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((done) => this.#server.close(() => done()));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}
