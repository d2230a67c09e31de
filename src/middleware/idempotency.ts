import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError, PROBLEM_CONTENT_TYPE } from "../errors";
import type { Transaction } from "../services/context";
import type { TenantContext } from "../services/tenancy/context";
import {
  claimIdempotencyKey,
  isStoredRefusal,
  recordIdempotentResponse,
} from "../services/tenancy/idempotency";
import { tenantOf } from "./authorize";

export interface IdempotencyOptions {
  /** How long the first response is replayed; at least a day (Stripe keeps 24 h). */
  ttlSeconds?: number;
  /**
   * The route's write claims the key, replays and records in the database call that makes the write (see
   * services/portfolios/ledger-call.ts): the middleware only checks the key and names the request
   * (`c.get("idempotency")`), holding no transaction across the handler's round trips.
   */
  inWrite?: boolean;
}

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotency-Replayed";
/** Printable ASCII, as the IETF Idempotency-Key draft's examples; UUIDs are recommended. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

class Discard extends Error {}

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

async function storable(response: Response): Promise<boolean> {
  if (response.status >= 500 || response.status === 429) return false;
  if (!response.headers.get("content-type")?.startsWith(PROBLEM_CONTENT_TYPE)) return true;
  const problem = (await response.clone().json()) as { code?: string };
  return isStoredRefusal({ code: problem.code ?? "", status: response.status });
}

/** The caller's context with its transactions run inside `tx` (as savepoints), so they commit with it. */
function within(ctx: TenantContext, tx: Transaction): TenantContext {
  const joined = Object.create(ctx) as TenantContext;
  Object.defineProperty(joined, "transaction", {
    value: (work: (t: Transaction) => Promise<unknown>) => tx.transaction(work),
  });
  return joined;
}

/**
 * Idempotency-Key (IETF draft, Stripe's semantics) for requests that move money; mount after `authorize`.
 * Without the header the request runs as usual. With it, the request runs inside one database transaction
 * that first claims the key (a concurrent duplicate gets 409 at once), then either replays the stored
 * response (a different payload under the same key is 422) or runs the handler and stores its response
 * in that same transaction - so the effects and the record of them commit together, exactly once, and a
 * crash in between leaves neither. Responses are keyed by (tenant, key, method and route).
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
    const ctx = tenantOf(c);
    const name = { tenantId: ctx.tenantId, key, route: `${c.req.method} ${c.req.routePath}` };
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
    if (options.inWrite) {
      c.set("idempotency", { key, route: name.route, requestHash, ttlSeconds });
      return next();
    }

    let replay: Response | undefined;
    try {
      await ctx.transaction(async (tx) => {
        const stored = await claimIdempotencyKey(tx, ctx, name, requestHash);
        if (stored) {
          replay = new Response(stored.body, {
            status: stored.status,
            headers: {
              ...(stored.contentType ? { "Content-Type": stored.contentType } : {}),
              [REPLAYED_HEADER]: "true",
            },
          });
          return;
        }
        c.get("context").tenant = within(ctx, tx);
        try {
          await next();
        } finally {
          c.get("context").tenant = ctx;
        }
        // Not an outcome: undo whatever the handler wrote, so a retry starts afresh.
        if (!(await storable(c.res))) throw new Discard();
        const response = {
          status: c.res.status,
          body: await c.res.clone().text(),
          contentType: c.res.headers.get("content-type"),
        };
        await recordIdempotentResponse(tx, ctx, name, requestHash, response, ttlSeconds);
      });
    } catch (error) {
      if (!(error instanceof Discard)) throw error;
    }
    if (replay) return replay;
  };
}
