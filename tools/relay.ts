import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { WebSocketServer } from "ws";

/** A running relay. */
export interface Relay {
  /** `host:port`, the form the Worker's `WS_RELAY` binding takes. */
  address: string;
  port: number;
  /** WebSocket connections opened so far for one request id (the `request` query parameter the Worker adds). */
  connections: (requestId: string) => number;
  close: () => Promise<void>;
}

export interface RelayOptions {
  port?: number;
  /** Postgres hosts the relay may reach; anything else is refused (it must not become an open proxy). */
  allowedHosts: string[];
  /**
   * Extra round-trip time in ms (`LOCAL_DB_RTT_MS`), to see locally what distance to the database costs: the
   * WebSocket handshake waits one round trip, and every message waits half of it in each direction.
   */
  rttMs?: number;
}

/** `LOCAL_DB_RTT_MS` from the environment: a whole number of milliseconds, 0 when unset. */
export function rttFromEnvironment(value = process.env.LOCAL_DB_RTT_MS): number {
  if (value === undefined || value === "") return 0;
  const rtt = Number(value);
  if (!Number.isInteger(rtt) || rtt < 0 || rtt > 10_000) {
    throw new RangeError(
      `LOCAL_DB_RTT_MS must be a whole number of milliseconds from 0 to 10000, got "${value}"`,
    );
  }
  return rtt;
}

/**
 * Runs `send` after `delayMs`, or at once when there is no delay. Node fires timers of one duration in the order
 * they were set, so a stream delayed this way keeps its order.
 */
const later = (delayMs: number, send: () => void): void => {
  if (delayMs > 0) setTimeout(send, delayMs);
  else send();
};

// Postgres frontend 'Terminate' message: type 'X' and length 4.
const isTerminate = (data: Buffer): boolean =>
  data.length === 5 && data[0] === 0x58 && data.readInt32BE(1) === 4;

/**
 * Stands in for Neon's WebSocket proxy on a developer machine: the Worker's Neon driver opens
 * `ws://<relay>/v1?address=host:port` and the relay pipes the socket to that Postgres over TCP.
 * Listens on loopback only. The driver closes the WebSocket itself after its Terminate message, and the
 * relay then drops the TCP side, so a server that never closes first cannot hang it.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const allowed = new Set(options.allowedHosts);
  const rtt = options.rttMs ?? 0;
  const oneWay = rtt / 2;
  const upstreams = new Set<Socket>();
  const opened = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    // Tests ask how many connections a request opened: `GET /connections/<request id>`.
    if (req.method === "GET" && req.url?.startsWith("/connections/")) {
      const id = decodeURIComponent(req.url.slice("/connections/".length));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ requestId: id, connections: opened.get(id) ?? 0 }));
      return;
    }
    res.writeHead(426).end("WebSocket only\n");
  });
  const wss = new WebSocketServer({
    server,
    path: "/v1",
    // The handshake is a round trip of its own (Neon's adds TLS and the startup's).
    verifyClient: (_info, accept) => later(rtt, () => accept(true)),
  });

  wss.on("connection", (ws, request) => {
    const query = new URL(request.url ?? "", "http://relay").searchParams;
    const target = query.get("address") ?? "";
    const requestId = query.get("request");
    if (requestId) {
      if (opened.size >= 100_000) opened.clear();
      opened.set(requestId, (opened.get(requestId) ?? 0) + 1);
    }
    const separator = target.lastIndexOf(":");
    const host = target.slice(0, separator).replace(/^\[|\]$/g, "");
    const port = Number(target.slice(separator + 1));
    if (!allowed.has(host) || !Number.isInteger(port) || port <= 0 || port > 65535) {
      ws.close(1008, "address not allowed");
      return;
    }
    const upstream = connect({ host, port });
    upstreams.add(upstream);
    upstream.setNoDelay(true);
    upstream.on("data", (chunk) => later(oneWay, () => ws.readyState === ws.OPEN && ws.send(chunk)));
    let terminating = false;
    upstream.on("close", () => {
      upstreams.delete(upstream);
      // After Terminate the driver closes the WebSocket itself; closing it from here as well races that
      // close, and workerd reports the crossing as a lost connection. Only an unexpected close is ours to report,
      // after the data the server sent before it (which may still be on its way).
      later(oneWay, () => {
        if (!terminating && ws.readyState === ws.OPEN) ws.close(1011, "upstream closed");
      });
    });
    upstream.on("error", () => ws.terminate());
    ws.on("message", (data: Buffer) => {
      const terminate = isTerminate(data);
      if (terminate) terminating = true;
      later(oneWay, () => {
        if (upstream.destroyed) return;
        upstream.write(data);
        // The session is over: release the server's connection now rather than when the WebSocket
        // close handshake finishes (PGlite's socket server counts connections until then).
        if (terminate) upstream.end();
      });
    });
    // Closing follows the messages sent before it, in the same order.
    ws.on("close", () => later(oneWay, () => upstream.destroy()));
    ws.on("error", () => upstream.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    address: `127.0.0.1:${port}`,
    port,
    connections: (requestId) => opened.get(requestId) ?? 0,
    async close() {
      // ws v8's close() leaves client sockets open: end them ourselves.
      for (const client of wss.clients) client.terminate();
      for (const upstream of upstreams) upstream.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
