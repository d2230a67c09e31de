import { createApp } from "./app";
import type { Bindings } from "./env";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Bindings>;

export { AccountGuard } from "./durable-objects/account-guard";
export { SessionAuthority } from "./durable-objects/session-authority";
