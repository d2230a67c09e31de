import type { Bindings } from "./env";

/**
 * Start-up stays cheap: every isolate evaluates this module before its first event, so the application (zod
 * route schemas, drizzle tables, the router) and the consumers are imported dynamically and built on first
 * use, once per isolate. The bundler keeps one file and turns each dynamically imported module into one that
 * is initialised when first imported. Only the Durable Object classes are reached statically, and they do no
 * work at module level.
 */
/** The cron that hands due webhook deliveries to the queue (wrangler.toml). */
const WEBHOOK_CRON = "* * * * *";

let app: Promise<ReturnType<typeof import("./app").createApp>> | undefined;

/**
 * The application, built by the first request of the isolate; the requests that arrive meanwhile wait for the
 * same build. A failure stays, as a failing top-level module would: a module whose evaluation threw is not
 * evaluated again, so a second attempt could only find it half initialised.
 */
const loadApp = () => (app ??= import("./app").then(({ createApp }) => createApp()));

export default {
  async fetch(request, env, ctx) {
    return (await loadApp()).fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    // Every minute: webhooks due; every five: the chores (scheduled.ts).
    ctx.waitUntil(
      import("./scheduled").then(async ({ runScheduled, runWebhookTick }) => {
        if (controller.cron === WEBHOOK_CRON) await runWebhookTick(env);
        else await runScheduled(env);
      }),
    );
  },
  async queue(batch, env) {
    const { handleScoringBatch } = await import("./queues/scoring");
    await handleScoringBatch(batch, env);
  },
} satisfies ExportedHandler<Bindings>;

export { AccountGuard } from "./durable-objects/account-guard";
export { RateLimitCounter } from "./durable-objects/rate-limiter";
export { SessionAuthority } from "./durable-objects/session-authority";
export { TenantAuthority } from "./durable-objects/tenant-authority";
