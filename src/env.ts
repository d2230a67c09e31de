import type { AppConfig } from "./config";
import type { RequestDatabase } from "./db/client";

/** Worker bindings: the generated `Cloudflare.Env` plus secrets, which `wrangler types` cannot see. */
export interface Bindings extends Cloudflare.Env {
  /** Postgres connection string (Neon in production). A secret: `wrangler secret put DATABASE_URL`. */
  DATABASE_URL?: string;
  /** Local only: address of the WebSocket-to-TCP relay that lets the Neon driver reach a plain Postgres. */
  WS_RELAY?: string;
}

/** Per-request values set by middleware. */
export interface Variables {
  requestId: string;
  config: AppConfig;
  database: RequestDatabase;
  /** Set by authentication once known; read by the request log. */
  tenantId?: string;
  userId?: string;
}

/** The Hono environment of every router in the app. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}

declare global {
  namespace Cloudflare {
    /** Types `exports` from "cloudflare:workers" (the main module's loopback bindings). */
    interface GlobalProps {
      mainModule: typeof import("./index");
    }
  }
}
