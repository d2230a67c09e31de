/**
 * Per-endpoint limits per minute (the seed's "11 security layers" numbers), defined once here and named by
 * each route contract (`x-rate-limit`, see `defineRoute`). `ip` policies key anonymous endpoints by client
 * address; `principal` policies key by the authenticated user or API key (enforced by `authenticate` once it
 * knows who is calling). `failClosed` endpoints refuse service (503) when the limiter cannot answer: an
 * outage must not open sign-in to unlimited guessing.
 */
export interface RateLimitPolicy {
  name: string;
  limit: number;
  windowSeconds: number;
  scope: "ip" | "principal";
  failClosed: boolean;
}

type Limits = Omit<RateLimitPolicy, "name">;

const minute = (limit: number, scope: RateLimitPolicy["scope"], failClosed = false): Limits => ({
  limit,
  windowSeconds: 60,
  scope,
  failClosed,
});

const limits = {
  register: minute(3, "ip", true),
  // Password sign-in and magic-link verification: both turn a guess into a session.
  login: minute(5, "ip", true),
  // The second step of a sign-in (a TOTP or a backup code against the challenge token).
  login_2fa: minute(5, "ip", true),
  // Managing the second factor, stepping up and changing the address: a signed-in user guessing codes.
  two_factor: minute(10, "principal", true),
  // Federated sign-in's steps (start, the provider's answer, a mobile code's exchange): each turns into a session.
  federated: minute(10, "ip", true),
  refresh: minute(10, "ip"),
  logout: minute(10, "principal"),
  // Flows that send e-mail or spend an e-mailed token: forgot/reset password, magic link, address confirmation.
  account_email: minute(5, "ip", true),
  // The rest of a signed-in user's own account.
  account: minute(60, "principal"),
  // Accepting an invitation can create an account: counted like registration, by address.
  invitation_accept: minute(5, "ip", true),
  portfolio: minute(60, "principal"),
  predictions: minute(20, "principal"),
  prices: minute(60, "principal"),
  tenant_api: minute(120, "principal"),
  // A provider's signed callbacks, by its sending address: generous, a provider sends in bursts.
  provider_callback: minute(600, "ip"),
  // Everything else (health, documents, public keys), and any request that matches no route: generous, by address.
  default: minute(120, "ip"),
} as const satisfies Record<string, Limits>;

/** The name a route contract gives its policy (`x-rate-limit`). */
export type RateLimitPolicyName = keyof typeof limits;

/** Every policy, by name. */
export const RATE_LIMIT_POLICIES = Object.fromEntries(
  Object.entries(limits).map(([name, policy]) => [name, { name, ...policy }]),
) as { readonly [N in RateLimitPolicyName]: RateLimitPolicy & { name: N } };

/** The policy of requests that match no route, and of routes that name `default`. */
export const DEFAULT_POLICY: RateLimitPolicy = RATE_LIMIT_POLICIES.default;

/** Whether `name` names a policy. */
export const isRateLimitPolicyName = (name: unknown): name is RateLimitPolicyName =>
  typeof name === "string" && Object.hasOwn(RATE_LIMIT_POLICIES, name);
