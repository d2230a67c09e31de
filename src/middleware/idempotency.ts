import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { tenantOf } from "./authorize";

export interface IdempotencyOptions {
  /** How long the first response is replayed; at least a day (Stripe keeps 24 h). */
  ttlSeconds?: number;
}

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotency-Replayed";
/** Printable ASCII, as the IETF Idempotency-Key draft's examples; UUIDs are recommended. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Object keys sorted at every depth, so the same payload always hashes the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value as object)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Idempotency-Key (IETF draft, Stripe's semantics) for requests that move money; mount after `authorize`.
 * Without the header the request runs as usual. With it, the key's form is checked and the request named -
 * the key, the route and a hash of the canonical request - for the route's write (`c.get("idempotency")`),
 * which claims the key, replays or records the answer in the same database call that makes its changes
 * (services/portfolios/ledger-call.ts): the effects and the record of them commit together, exactly once,
 * and no lock is held across round trips. Responses are keyed by (tenant, key, method and route).
 */
export function idempotency(options: IdempotencyOptions = {}): MiddlewareHandler<AppEnv> {
  const ttlSeconds = options.ttlSeconds ?? 24 * 60 * 60;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 24 * 60 * 60) {
    throw new Error("idempotency: ttlSeconds must be a whole number of seconds, at least a day");
  }
  return async function idempotency(c, next) {
    const key = c.req.header(IDEMPOTENCY_HEADER);
    if (key === undefined) return next();
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      const message = "must be 1-255 printable ASCII characters";
      throw new AppError("invalid_parameters", `${IDEMPOTENCY_HEADER} ${message}.`, {
        errors: [{ location: "header", pointer: IDEMPOTENCY_HEADER, message, code: "invalid_string" }],
      });
    }
    tenantOf(c); // authorized first: a key means nothing without a tenant
    const hasBody = c.req.raw.body !== null && c.req.header("content-length") !== "0";
    // JSON is compared by meaning (keys sorted); any other body byte for byte.
    const isJson = /^application\/(?:[\w.+-]+\+)?json/i.test(c.req.header("content-type") ?? "");
    const body = hasBody ? (isJson ? canonical(await c.req.json()) : await c.req.text()) : null;
    const url = new URL(c.req.url);
    url.searchParams.sort();
    // Who asks, from the verified credential: the caller's standing may still be on its way (read in the
    // write's own batch), and the request is the same request whatever the standing says.
    const caller = c.get("context").caller;
    const actor = caller?.kind === "api_key" ? ["api_key", caller.apiKeyId] : ["user", caller?.userId];
    const requestHash = await sha256(
      JSON.stringify([...actor, c.req.method, url.pathname, url.search, body]),
    );
    c.set("idempotency", { key, route: `${c.req.method} ${c.req.routePath}`, requestHash, ttlSeconds });
    return next();
  };
}
