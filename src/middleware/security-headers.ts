import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env";

const common = {
  strictTransportSecurity: "max-age=63072000; includeSubDomains; preload",
  xContentTypeOptions: "nosniff",
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  crossOriginResourcePolicy: "same-origin",
  crossOriginOpenerPolicy: "same-origin",
  crossOriginEmbedderPolicy: false,
  originAgentCluster: "?1",
  xXssProtection: "0",
  removePoweredBy: true,
} as const;

const api = secureHeaders({
  ...common,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
});

const docs = secureHeaders({
  ...common,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    // The renderer is this Worker's own static file (its hash pinned); it injects its styles.
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    fontSrc: ["'self'", "data:"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
});

/** The operator console: this origin's script, styles and API only; nothing inline, nothing evaluated. */
const consolePolicy = secureHeaders({
  ...common,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
});

/**
 * Security headers on every response (OWASP secure headers), plus `Cache-Control: no-store` so that no
 * API answer - tokens, balances - is kept by a browser or proxy. `/docs` gets a CSP its renderer
 * can run in, and `/console` one for its own files - still nothing from another origin.
 */
export function securityHeaders(
  options: { docsPath?: string; consolePath?: string } = {},
): MiddlewareHandler<AppEnv> {
  const docsPath = options.docsPath ?? "/docs";
  const consolePath = options.consolePath ?? "/console";
  return async function securityHeaders(c, next) {
    const apply = c.req.path === docsPath ? docs : c.req.path === consolePath ? consolePolicy : api;
    await apply(c, next);
    // A handler that chose a cache policy for public data (the JWKS) keeps it; everything else is no-store.
    if (!c.res.headers.get("Cache-Control")?.startsWith("public"))
      c.res.headers.set("Cache-Control", "no-store");
  };
}
