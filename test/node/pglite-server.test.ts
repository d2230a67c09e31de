import { once } from "node:events";
import { PGlite } from "@electric-sql/pglite";
import { neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import ws from "ws";
import { routeThroughRelay } from "../../src/db/driver";
import { type LocalPostgres, startEmbeddedPostgres } from "../../tools/embedded-postgres";
import { servePGlite } from "../../tools/pglite-server";
import { type Relay, startRelay } from "../../tools/relay";

let postgres: LocalPostgres;
let relay: Relay;

/**
 * Sends each frame a millisecond after the previous one, as a real network may deliver a client's messages in
 * separate segments: in one process the loopback otherwise hands the server each round trip whole, which hides
 * interleaving between clients.
 */
class SegmentingWebSocket extends ws {
  private sending = Promise.resolve();

  override send(data: Parameters<ws["send"]>[0]): void {
    this.sending = this.sending
      .then(() => new Promise((resolve) => setTimeout(resolve, 1)))
      .then(() => {
        if (this.readyState === this.OPEN) super.send(data);
      });
  }

  // The driver closes right after sending Terminate: let the Terminate go first.
  override close(...args: Parameters<ws["close"]>): void {
    void this.sending.then(() => super.close(...args));
  }
}

beforeAll(async () => {
  postgres = await startEmbeddedPostgres();
  relay = await startRelay({ allowedHosts: ["127.0.0.1"] });
  neonConfig.webSocketConstructor = SegmentingWebSocket;
  routeThroughRelay(relay.address);
  neonConfig.coalesceWrites = false;
  await withPool(postgres.url, (pool) =>
    pool.query(`create table counters (id int primary key, n int not null);
      create table counter_log (id serial primary key, client int not null);
      create table items (id serial primary key, name text not null)`),
  );
});

afterAll(async () => {
  await relay?.close();
  await postgres?.close();
});

async function withPool<T>(url: string, use: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    return await use(pool);
  } finally {
    await pool.end();
  }
}

const count = (name: string) =>
  withPool(postgres.url, async (pool) => {
    const { rows } = await pool.query("select count(*)::int as n from items where name = $1", [name]);
    return rows[0].n as number;
  });

// Rejects instead of hanging when the backend is stuck behind a session that is gone.
const soon = <T>(work: Promise<T>, ms = 10_000): Promise<T> =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("stuck")), ms))]);

const frame = (type: string, ...parts: (string | Buffer)[]): Buffer => {
  const body = Buffer.concat(
    parts.map((part) => (typeof part === "string" ? Buffer.from(`${part}\0`) : part)),
  );
  const head = Buffer.alloc(5, type);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};

/** A hand-driven protocol session through the relay, to disconnect at points a driver never would. */
async function rawSession() {
  const socket = new ws(`ws://${relay.address}/v1?address=${postgres.url.split("@")[1]?.split("/")[0]}`);
  let received = Buffer.alloc(0);
  socket.on("message", (data: Buffer) => {
    received = Buffer.concat([received, data]);
  });
  await once(socket, "open");
  const params = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4);
  socket.send(Buffer.concat([startup, params]));
  /** Waits for the next backend message of `type` and returns its body. */
  const next = (type: string) =>
    vi.waitFor(
      () => {
        for (let at = 0; at + 5 <= received.length; ) {
          const end = at + 1 + received.readInt32BE(at + 1);
          if (end > received.length) break;
          if (received.toString("latin1", at, at + 1) === type) {
            const body = received.subarray(at + 5, end);
            received = received.subarray(end);
            return body;
          }
          at = end;
        }
        throw new Error(`no ${type} yet`);
      },
      { timeout: 10_000, interval: 5 },
    );
  await next("Z");
  return { socket, next };
}

describe("PGlite server", () => {
  it("answers 32 concurrent clients' parameterised queries each with their own results", async () => {
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 32 }, (_, client) =>
        withPool(postgres.url, async (pool) => {
          for (let i = 0; i < 20; i++) {
            const value = client * 1000 + i;
            try {
              const { rows } = await pool.query("select $1::int + 1 as n", [value]);
              if (rows.length !== 1 || rows[0].n !== value + 1) failures.push(JSON.stringify(rows));
            } catch (error) {
              failures.push(String(error));
            }
          }
        }),
      ),
    );
    expect(failures).toEqual([]);
  });

  it("serialises 20 concurrent interactive transactions on one row, between other clients' queries", async () => {
    await withPool(postgres.url, (pool) => pool.query("insert into counters (id, n) values (1, 0)"));
    const wrong: unknown[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, client) =>
        withPool(postgres.url, async (pool) => {
          const { rows } = await pool.query("select $1::int + 1 as n", [client]);
          if (rows[0]?.n !== client + 1) wrong.push(rows);
          const session = await pool.connect();
          try {
            await session.query("BEGIN");
            await session.query("UPDATE counters SET n = n + 1 WHERE id = $1", [1]);
            await session.query("INSERT INTO counter_log (client) VALUES ($1)", [client]);
            await session.query("COMMIT");
          } finally {
            session.release();
          }
        }),
      ),
    );
    const { rows } = await withPool(postgres.url, (pool) =>
      pool.query("select n, (select count(*)::int from counter_log) as logged from counters where id = 1"),
    );
    expect({ wrong, rows }).toEqual({ wrong: [], rows: [{ n: 20, logged: 20 }] });
  });

  it("hides a transaction rolled back by one client from another, which then proceeds", async () => {
    await withPool(postgres.url, async (pool) => {
      const session = await pool.connect();
      await session.query("BEGIN");
      await session.query("insert into items (name) values ($1)", ["ghost"]);
      const other = count("ghost");
      expect((await session.query("select count(*)::int as n from items where name = 'ghost'")).rows).toEqual(
        [{ n: 1 }],
      );
      await session.query("ROLLBACK");
      session.release();
      expect(await soon(other)).toBe(0);
    });
  });

  it("rolls back a client that disconnects mid-transaction, without leaving the backend stuck", async () => {
    const { socket, next } = await rawSession();
    socket.send(frame("Q", "begin; insert into items (name) values ('orphan')"));
    expect((await next("Z")).toString()).toBe("T");
    socket.terminate();
    expect(await soon(count("orphan"))).toBe(0);
  });

  it("does not let the next Sync commit a disconnected client's unsynced pipeline", async () => {
    const { socket, next } = await rawSession();
    const noParams = Buffer.alloc(6);
    socket.send(
      Buffer.concat([
        frame("P", "", "insert into items (name) values ('unsynced')", Buffer.alloc(2)),
        frame("B", "", "", noParams),
        frame("E", "", Buffer.alloc(4)),
        frame("H"),
      ]),
    );
    await next("C");
    socket.terminate();
    expect(await soon(count("unsynced"))).toBe(0);
  });

  it("lets sequential clients reuse a prepared statement name", async () => {
    for (let i = 0; i < 3; i++) {
      const { rows } = await withPool(postgres.url, (pool) =>
        pool.query({ name: "add-one", text: "select $1::int + 1 as n", values: [i] }),
      );
      expect(rows).toEqual([{ n: i + 1 }]);
    }
  });

  it("releases each connection as it closes: 100 sequential clients on a 4-connection server", async () => {
    const db = await PGlite.create();
    const server = await servePGlite(db, { maxConnections: 4 });
    const url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
    for (let i = 0; i < 100; i++) {
      const { rows } = await withPool(url, (pool) => pool.query("select $1::int as i", [i]));
      expect(rows).toEqual([{ i }]);
    }
    await vi.waitFor(() => expect(server.connections()).toBe(0));
    await server.close();
    await db.close();
  });
});
