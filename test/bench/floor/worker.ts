import { Hono } from "hono";

/** The floor: an empty Hono route in the same runtime, so every scenario reads as a ratio to it. */
const app = new Hono();
app.get("/", (c) => c.body(null, 204));

export default app;
