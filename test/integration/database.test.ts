import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Database, RequestDatabase } from "../../src/db/client";
import { bindings } from "./helpers";

/** Opens a connection for one test body and closes it before the body ends (I/O cannot outlive it). */
async function withDatabase(body: (db: Database) => Promise<void>): Promise<void> {
  const handle = new RequestDatabase({ url: bindings.DATABASE_URL as string, relay: bindings.WS_RELAY });
  try {
    await body(handle.db);
  } finally {
    await handle.close();
  }
}

// drizzle wraps driver errors; the database's own message is the cause.
const refusedWith = (operation: string) => (error: unknown) =>
  error instanceof Error &&
  String((error.cause as Error | undefined)?.message).includes(`append-only: ${operation} refused`);

describe("database through the Neon driver", () => {
  it("runs interactive transactions and rolls back on error", () =>
    withDatabase(async (db) => {
      const table = sql.identifier(`tx_probe_${crypto.randomUUID().replaceAll("-", "")}`);
      await db.execute(sql`create temp table ${table} (n int not null)`);
      await expect(
        db.transaction(async (tx) => {
          await tx.execute(sql`insert into ${table} values (1)`);
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
      const { rows } = await db.execute<{ count: string }>(sql`select count(*) as count from ${table}`);
      expect(Number(rows[0]?.count)).toBe(0);
      await db.execute(sql`drop table ${table}`);
    }));

  it("has the baseline's append-only guard refusing UPDATE and DELETE", () =>
    withDatabase((db) =>
      // One connection throughout: the pool drops a connection whose query failed, and a temporary table
      // lives only as long as its connection. Each refused statement runs in its own savepoint.
      db.transaction(async (tx) => {
        const table = sql.identifier(`append_only_${crypto.randomUUID().replaceAll("-", "")}`);
        await tx.execute(sql`create temp table ${table} (n int not null) on commit drop`);
        await tx.execute(
          sql`create trigger refuse before update or delete on ${table} for each row execute function finedge_refuse_mutation()`,
        );
        await tx.execute(sql`insert into ${table} values (1)`);
        await expect(tx.transaction((sp) => sp.execute(sql`update ${table} set n = 2`))).rejects.toSatisfy(
          refusedWith("UPDATE"),
        );
        await expect(tx.transaction((sp) => sp.execute(sql`delete from ${table}`))).rejects.toSatisfy(
          refusedWith("DELETE"),
        );
        const { rows } = await tx.execute<{ n: number }>(sql`select n from ${table}`);
        expect(rows).toEqual([{ n: 1 }]);
      }),
    ));

  it("keeps updated_at truthful through the baseline trigger", () =>
    withDatabase(async (db) => {
      const table = sql.identifier(`touch_${crypto.randomUUID().replaceAll("-", "")}`);
      await db.execute(
        sql`create temp table ${table} (n int, updated_at timestamptz not null default 'epoch')`,
      );
      await db.execute(
        sql`create trigger touch before update on ${table} for each row execute function finedge_touch_updated_at()`,
      );
      await db.execute(sql`insert into ${table} (n) values (1)`);
      await db.execute(sql`update ${table} set n = 2, updated_at = 'epoch'`);
      const { rows } = await db.execute<{ recent: boolean }>(
        sql`select updated_at > now() - interval '1 minute' as recent from ${table}`,
      );
      expect(rows[0]?.recent).toBe(true);
      await db.execute(sql`drop table ${table}`);
    }));
});
