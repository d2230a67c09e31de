import { type AddressInfo, createServer, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

/** A PGlite database served over TCP, and how to stop serving it. */
export interface PGliteServer {
  host: string;
  port: number;
  /** Connections open right now (closed ones leave once their leftovers are undone). */
  connections: () => number;
  /** Ends live connections, undoing their open transactions, and stops listening; the database stays open. */
  close: () => Promise<void>;
}

/** Where to listen (loopback unless told; `port` 0 takes any free port) and how many clients to admit. */
export type PGliteServerOptions = { host?: string; port?: number; maxConnections?: number };

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_MESSAGE = 1 << 30;
const byte = (char: string): number => char.charCodeAt(0);
// The client waits for the server after these, so a batch ends there: Sync, Query, Flush, FunctionCall,
// CopyDone, CopyFail, and password/SASL answers.
const BATCH_END = new Set([..."SQHFcfp"].map(byte));

const frame = (type: string, body: Buffer = Buffer.alloc(0)): Buffer => {
  const head = Buffer.alloc(5, type);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const query = (sql: string): Buffer => frame("Q", Buffer.from(`${sql}\0`));
const closeStatement = (name: string): Buffer => frame("C", Buffer.from(`S${name}\0`, "latin1"));
// Undoes a vanished client's session in any protocol state. CopyFail ends a COPY FROM STDIN (it is ignored
// outside one); the ROLLBACK aborts an explicit transaction or an unsynced pipeline's implicit one before a
// Sync could commit it (it is skipped if an error already waits for Sync); the Sync ends that skipping; the
// last ROLLBACK ends a transaction block the Sync left failed.
const ABANDON = [frame("f", Buffer.from("gone\0")), query("ROLLBACK"), frame("S"), query("ROLLBACK")];
const discard = { onRawData: () => {} };

/** PGlite's single backend, lent to one connection at a time, for as long as that session is mid-way. */
class BackendLock {
  owner: object | null = null;
  private waiting: { who: object; resume: () => void }[] = [];

  async acquire(who: object): Promise<void> {
    if (this.owner === who) return;
    if (this.owner === null) {
      this.owner = who;
      return;
    }
    await new Promise<void>((resume) => this.waiting.push({ who, resume }));
  }

  release(who: object): void {
    if (this.owner !== who) return;
    const next = this.waiting.shift();
    this.owner = next?.who ?? null;
    next?.resume();
  }
}

/** Follows the framing of the backend's output across chunks, to know the type of its last message. */
class OutputFraming {
  last = 0;
  private header = Buffer.alloc(5);
  private filled = 0;
  private left = 0;

  feed(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      const skip = Math.min(this.left, chunk.length - at);
      at += skip;
      this.left -= skip;
      if (skip > 0) continue;
      this.header[this.filled++] = chunk[at++] ?? 0;
      if (this.filled === 5) {
        this.last = this.header[0] ?? 0;
        this.left = this.header.readInt32BE(1) - 4;
        this.filled = 0;
      }
    }
  }
}

/** Serves one client; resolves once its socket has closed and whatever its session left is undone. */
function attach(db: PGlite, lock: BackendLock, socket: Socket): Promise<void> {
  const self = {};
  let input: Buffer = Buffer.alloc(0);
  let started = false;
  let ended = false;
  let batch: Buffer[] = [];
  let queue = Promise.resolve();
  let cleaned = false;
  // Named statements this client prepared are closed when it goes, as the next client may reuse the names. Other
  // session state (SET, SQL PREPARE, LISTEN, temporary tables) is shared by all clients alike and left alone:
  // RESET ALL, DEALLOCATE ALL or DISCARD ALL would also wipe what live clients rely on.
  const statements = new Set<string>();
  const then = (step: () => Promise<void>): void => {
    queue = queue.then(step).catch((error: unknown) => {
      console.error("embedded Postgres: dropping a client after a protocol failure", error);
      socket.destroy();
    });
  };

  const run = async (messages: Buffer[]): Promise<void> => {
    if (socket.destroyed) return;
    await lock.acquire(self);
    if (socket.destroyed) return; // the cleanup queued behind this run undoes the session and releases
    const framing = new OutputFraming();
    const onRawData = (data: Uint8Array): void => {
      framing.feed(data);
      if (socket.writable) socket.write(Buffer.from(data));
    };
    await db.runExclusive(async () => {
      for (const message of messages) await db.execProtocolRawStream(message, { onRawData });
    });
    // Inside a transaction, after a Flush, or in a COPY the session is mid-way and another client's messages
    // would land in it: only a ReadyForQuery outside a transaction block frees the backend.
    if (framing.last === byte("Z") && !db.isInTransaction()) lock.release(self);
  };

  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    if (lock.owner !== self && statements.size === 0) return;
    await lock.acquire(self);
    try {
      await db.runExclusive(async () => {
        const leftovers = [...ABANDON, ...[...statements].map(closeStatement), frame("S")];
        for (const message of leftovers) await db.execProtocolRawStream(message, discard);
      });
    } finally {
      lock.release(self);
    }
  };

  const receive = (message: Buffer): void => {
    if (!started) {
      const request = message.readInt32BE(4);
      // Loopback needs no encryption: refuse it and the client carries on in plain text.
      if (request === SSL_REQUEST || request === GSSENC_REQUEST) return void socket.write("N");
      // One backend shared by all: there is no query of this client's own to cancel safely.
      ended = request === CANCEL_REQUEST;
      if (ended) return void socket.end();
      started = true;
      return void then(() => run([message]));
    }
    const type = message[0];
    if (type === byte("X")) {
      // PGlite would end the one backend session every client shares: end only this client's part of it.
      ended = true;
      then(async () => {
        await cleanup();
        socket.end();
      });
      return;
    }
    if (type === byte("P") || (type === byte("C") && message[5] === byte("S"))) {
      const start = type === byte("P") ? 5 : 6;
      const name = message.toString("latin1", start, message.indexOf(0, start));
      if (type === byte("C")) statements.delete(name);
      else if (name) statements.add(name);
    }
    batch.push(message);
    if (type !== undefined && BATCH_END.has(type)) {
      const messages = batch;
      batch = [];
      then(() => run(messages));
    }
  };

  socket.setNoDelay(true);
  socket.on("data", (chunk: Buffer) => {
    input = input.length === 0 ? chunk : Buffer.concat([input, chunk]);
    while (!ended && input.length >= 5) {
      // Only the first message lacks a type byte.
      const length = started ? input.readInt32BE(1) + 1 : input.readInt32BE(0);
      if (length < (started ? 5 : 8) || length > MAX_MESSAGE) return void socket.destroy();
      if (input.length < length) return;
      receive(input.subarray(0, length));
      input = input.subarray(length);
    }
  });
  socket.on("error", () => {}); // "close" follows
  return new Promise<void>((resolve) => {
    socket.on("close", () => {
      ended = true;
      then(cleanup);
      void queue.then(resolve);
    });
  });
}

/**
 * Serves a PGlite database to many concurrent Postgres clients over TCP. PGlite has one backend session, so
 * each client's messages run as whole round trips, never interleaved with another client's, and a client in
 * a transaction keeps the backend until the transaction ends or the client goes (which rolls it back).
 */
export async function servePGlite(db: PGlite, options: PGliteServerOptions = {}): Promise<PGliteServer> {
  const host = options.host ?? "127.0.0.1";
  const lock = new BackendLock();
  const sockets = new Set<Socket>();
  const finishing = new Set<Promise<void>>();
  await db.waitReady;
  const server = createServer((socket) => {
    sockets.add(socket);
    const finished = attach(db, lock, socket).finally(() => {
      sockets.delete(socket);
      finishing.delete(finished);
    });
    finishing.add(finished);
  });
  // Workers close their connections after the response (waitUntil), so a burst of requests briefly holds
  // many at once; Node drops connections above this limit without a word, so keep it far above any burst.
  server.maxConnections = options.maxConnections ?? 4096;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    connections: () => sockets.size,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all([stopped, ...finishing]);
    },
  };
}
