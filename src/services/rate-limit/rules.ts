/**
 * Per-endpoint limits per minute (the seed's "11 security layers" numbers). `ip` rules key anonymous
 * endpoints by client address; `principal` rules key by the authenticated user or API key (enforced by
 * `authenticate` once it knows who is calling). `failClosed` endpoints refuse service (503) when the
 * limiter cannot answer: an outage must not open sign-in to unlimited guessing.
 */
export interface RateLimitPolicy {
  name: string;
  limit: number;
  windowSeconds: number;
  scope: "ip" | "principal";
  failClosed: boolean;
}

interface Matcher {
  method: string;
  path: RegExp;
  policy: RateLimitPolicy;
}

const minute = (
  name: string,
  limit: number,
  scope: RateLimitPolicy["scope"],
  failClosed = false,
): RateLimitPolicy => ({
  name,
  limit,
  windowSeconds: 60,
  scope,
  failClosed,
});

const AUTH = "/api/v1/auth";

const matchers: Matcher[] = [
  { method: "POST", path: new RegExp(`^${AUTH}/register$`), policy: minute("register", 3, "ip", true) },
  { method: "POST", path: new RegExp(`^${AUTH}/login$`), policy: minute("login", 5, "ip", true) },
  { method: "POST", path: new RegExp(`^${AUTH}/magic-link/verify$`), policy: minute("login", 5, "ip", true) },
  {
    method: "POST",
    path: new RegExp(`^${AUTH}/(login/2fa|2fa/backup-code)$`),
    policy: minute("login_2fa", 5, "ip", true),
  },
  {
    method: "POST",
    path: new RegExp(`^${AUTH}/(2fa/(enable|verify|disable|backup-codes)|step-up|change-email(/confirm)?)$`),
    policy: minute("two_factor", 10, "principal", true),
  },
  { method: "POST", path: new RegExp(`^${AUTH}/refresh$`), policy: minute("refresh", 10, "ip") },
  { method: "POST", path: new RegExp(`^${AUTH}/logout$`), policy: minute("logout", 10, "principal") },
  {
    method: "POST",
    path: new RegExp(`^${AUTH}/(password/(forgot|reset)|magic-link|verify-email/confirm)$`),
    policy: minute("account_email", 5, "ip", true),
  },
  { method: "*", path: new RegExp(`^${AUTH}/`), policy: minute("account", 60, "principal") },
  // Accepting an invitation can create an account: counted like registration, by address.
  {
    method: "POST",
    path: /^\/api\/v1\/invitations\/[^/]+\/accept$/,
    policy: minute("invitation_accept", 5, "ip", true),
  },
  {
    method: "*",
    path: /^\/api\/v1\/(portfolios?|transactions)(\/|$)/,
    policy: minute("portfolio", 60, "principal"),
  },
  { method: "*", path: /^\/api\/v1\/predictions(\/|$)/, policy: minute("predictions", 20, "principal") },
  { method: "*", path: /^\/api\/v1\/(prices|assets)(\/|$)/, policy: minute("prices", 60, "principal") },
  {
    method: "*",
    path: /^\/api\/v1\/(tenants|organizations|users|invitations|api-keys|audit-events|security-events|companies|jobs|models)(\/|$)/,
    policy: minute("tenant_api", 120, "principal"),
  },
];

/** Everything else: generous, keyed by client address. */
export const DEFAULT_POLICY = minute("default", 120, "ip");

/** The policy that governs a request. */
export function policyFor(method: string, path: string): RateLimitPolicy {
  for (const m of matchers) {
    if ((m.method === "*" || m.method === method) && m.path.test(path)) return m.policy;
  }
  return DEFAULT_POLICY;
}

/** Every distinct policy (for documentation and tests). */
export const allPolicies = (): RateLimitPolicy[] => [
  ...new Map([...matchers.map((m) => m.policy), DEFAULT_POLICY].map((p) => [p.name, p])).values(),
];
