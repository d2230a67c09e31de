import { Hono } from "hono";

/**
 * The second floor: the empty route plus one `fetch` to a local echo server and its body read. Under `wrangler
 * dev` any outbound fetch costs a few milliseconds locally, so a route that makes one database call (one
 * fetch over Neon's HTTP protocol) reads against this floor, not against hello-world.
 */
const app = new Hono<{ Bindings: { ECHO_URL: string } }>();
app.get("/", async (c) => {
  await (await fetch(c.env.ECHO_URL)).arrayBuffer();
  return c.body(null, 204);
});

export default app;
