/**
 * The identity-verification provider, over HTTP: the adapter opens a session for a person (the provider's
 * page then takes their document and a selfie) and checks the signature of the decision the provider sends
 * back. The protocol is the common shape of such providers - a bearer-authenticated `POST /v1/sessions`
 * naming our reference and callback, and a signed `verification.decided` event - so another provider is one
 * adapter away. Signatures follow the Stripe scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
 * (several `v1` while the provider rotates its secret), refused outside a five-minute window.
 */
import { z } from "@hono/zod-openapi";
import { AppError } from "../../errors";
import { describeError, type LogLevel, log } from "../../logger";

export interface IdentityProviderSettings {
  url: string;
  apiKey: string;
  /** The secrets a callback may be signed with (current first; an old one while the provider rotates). */
  webhookSecrets: string[];
}

/** The provider, when the deployment configures one (all three settings). */
export function identityProviderOf(config: {
  IDV_PROVIDER_URL?: string | undefined;
  IDV_PROVIDER_API_KEY?: string | undefined;
  IDV_WEBHOOK_SECRETS: string[];
}): IdentityProviderSettings | null {
  if (!config.IDV_PROVIDER_URL || !config.IDV_PROVIDER_API_KEY || config.IDV_WEBHOOK_SECRETS.length === 0)
    return null;
  return {
    url: config.IDV_PROVIDER_URL.replace(/\/+$/, ""),
    apiKey: config.IDV_PROVIDER_API_KEY,
    webhookSecrets: config.IDV_WEBHOOK_SECRETS,
  };
}

export const notConfigured = () =>
  new AppError("service_unavailable", "No identity verification provider is configured.");

/** How long a session stays open at the provider. */
export const SESSION_LIFETIME_MS = 7 * 86_400_000;

export interface SessionRequest {
  /** Ours, echoed in the decision: `<tenant id>:<verification id>`. */
  reference: string;
  person: { full_name: string; date_of_birth: string; country: string };
  callbackUrl: string;
  expiresAt: Date;
  /** The verification's id: a retried request opens no second session. */
  idempotencyKey: string;
}

const SessionSchema = z.object({
  id: z.string().min(1).max(200),
  url: z.url({ protocol: /^https?$/ }),
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

export interface Session {
  id: string;
  url: string;
  expiresAt: Date;
}

/** Opens a session at the provider; 503 when it cannot (unreachable, refusing or answering nonsense). */
export async function openSession(
  settings: IdentityProviderSettings,
  request: SessionRequest,
  level: LogLevel,
  fetcher: typeof fetch = fetch,
): Promise<Session> {
  const unavailable = (cause: unknown) => {
    log(level, "error", { msg: "identity provider: no session", error: describeError(cause) });
    return new AppError("service_unavailable", "The identity verification provider did not open a session.", {
      headers: { "Retry-After": "30" },
      cause,
    });
  };
  let response: Response;
  try {
    response = await fetcher(`${settings.url}/v1/sessions`, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
      headers: {
        authorization: `Bearer ${settings.apiKey}`,
        "content-type": "application/json",
        "idempotency-key": request.idempotencyKey,
      },
      body: JSON.stringify({
        reference: request.reference,
        person: request.person,
        checks: ["document", "selfie"],
        callback_url: request.callbackUrl,
        expires_at: request.expiresAt.toISOString(),
      }),
    });
  } catch (error) {
    throw unavailable(error);
  }
  if (!response.ok) {
    const body = await response.text().catch(() => "");
    throw unavailable(new Error(`provider answered ${response.status}: ${body.slice(0, 200)}`));
  }
  const parsed = SessionSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) throw unavailable(new Error(`provider's session unreadable: ${parsed.error.message}`));
  const expiresAt = parsed.data.expires_at ? new Date(parsed.data.expires_at) : request.expiresAt;
  return { id: parsed.data.id, url: parsed.data.url, expiresAt };
}

export const SIGNATURE_HEADER = "x-signature";
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hexBytes = (hex: string) => {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
};

/**
 * Whether `header` signs `body` with one of `secrets`, at a time within the tolerance of `now`. The MAC is
 * checked by WebCrypto's verify, in constant time.
 */
export async function signatureHolds(
  secrets: readonly string[],
  header: string | undefined,
  body: string,
  now: Date,
): Promise<boolean> {
  if (!header || header.length > 1_000) return false;
  const parts = header.split(",").map((part) => part.trim().split("="));
  const timestamp = parts.find(([key]) => key === "t")?.[1] ?? "";
  const signatures = parts
    .filter(([key, value]) => key === "v1" && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .map(([, value]) => hexBytes(value as string));
  if (!/^[0-9]{1,12}$/.test(timestamp) || signatures.length === 0) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const signed = new TextEncoder().encode(`${timestamp}.${body}`);
  for (const secret of secrets) {
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    for (const signature of signatures) {
      if (await crypto.subtle.verify("HMAC", key, signature, signed)) return true;
    }
  }
  return false;
}

const CheckResult = z.enum(["clear", "consider"]);
export const PROVIDER_DECISIONS = ["approved", "declined", "resubmission_requested", "expired"] as const;

/** The provider's decision, as it sends it. */
export const ProviderEventSchema = z
  .object({
    id: z.string().min(1).max(200),
    type: z.literal("verification.decided"),
    created_at: z.iso.datetime({ offset: true }),
    session: z.object({
      id: z.string().min(1).max(200),
      reference: z.string().max(200).openapi({ description: "Ours: `<tenant id>:<verification id>`." }),
    }),
    decision: z.enum(PROVIDER_DECISIONS),
    reasons: z.array(z.string().min(1).max(100)).max(20).default([]),
    document: z
      .object({
        result: CheckResult,
        type: z.enum(["passport", "id_card", "driving_licence", "residence_permit"]),
        issuing_country: z.string().regex(/^[A-Z]{2}$/),
        expiry_date: z.iso.date().nullable(),
        full_name: z.string().min(1).max(300),
        date_of_birth: z.iso.date().nullable(),
      })
      .nullable()
      .default(null),
    selfie: z
      .object({
        result: CheckResult,
        liveness: CheckResult,
        similarity: z.number().min(0).max(1),
      })
      .nullable()
      .default(null),
  })
  .openapi("IdentityProviderEvent");

export type ProviderEvent = z.infer<typeof ProviderEventSchema>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant and verification a session's reference names, if it is one of ours. */
export function referenceOf(reference: string): { tenantId: string; verificationId: string } | null {
  const [tenantId = "", verificationId = "", ...rest] = reference.split(":");
  if (rest.length > 0 || !UUID.test(tenantId) || !UUID.test(verificationId)) return null;
  return { tenantId: tenantId.toLowerCase(), verificationId: verificationId.toLowerCase() };
}
