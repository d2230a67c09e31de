import { createApp } from "./app";
import type { Bindings } from "./env";
import { handleScoringBatch } from "./queues/scoring";
import { runScheduled } from "./scheduled";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(runScheduled(env));
  },
  async queue(batch, env) {
    await handleScoringBatch(batch, env);
  },
} satisfies ExportedHandler<Bindings>;

export { AccountGuard } from "./durable-objects/account-guard";
export { RateLimitCounter } from "./durable-objects/rate-limiter";
export { SessionAuthority } from "./durable-objects/session-authority";
