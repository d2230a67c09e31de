import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { read } from "../../../src/db/batch";
import { RequestDatabase } from "../../../src/db/client";

/**
 * The third floor: the empty route plus one database round trip made as every API read makes it - one batch
 * over Neon's HTTP protocol (the application role and the platform scope, then `select 1`), through the local
 * SQL-over-HTTP server to Postgres, with no authentication, no Durable Object and no rows to speak of. Above
 * the second floor it costs the database hop itself; what a read costs above it is the route's own work.
 */
type Bindings = { DATABASE_URL: string; SQL_HTTP_ENDPOINT: string };
const app = new Hono<{ Bindings: Bindings }>();
app.get("/", async (c) => {
  const database = new RequestDatabase({ url: c.env.DATABASE_URL, httpEndpoint: c.env.SQL_HTTP_ENDPOINT });
  await database.read("platform", (db) => ({ one: read(db.execute(sql`select 1`)) }));
  return c.body(null, 204);
});

export default app;
