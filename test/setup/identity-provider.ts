/**
 * A local stand-in for the identity-verification provider, for the suites: the Worker opens sessions here over
 * real HTTP (`POST /v1/sessions`, bearer key, idempotency key), and a test plays the person and the provider's
 * reviewers with `POST /sessions/{id}/decide` - the stand-in answers with the `verification.decided` event and
 * its signature, made here with Node's own HMAC, for the test to deliver to the Worker's callback as the
 * provider would. `GET /sessions/{id}` shows what the Worker sent. A person named "Provider Outage" gets a 503.
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The stand-in provider: its base URL, the API key it accepts, the secret it signs callbacks with. */
    identityProvider: { url: string; apiKey: string; webhookSecret: string };
  }
}

interface StoredSession {
  id: string;
  reference: string;
  person: { full_name: string; date_of_birth: string; country: string };
  checks: string[];
  callback_url: string;
  expires_at: string;
  authorization: string | undefined;
  idempotency_key: string | undefined;
}

const API_KEY = "test-idv-key";

const bodyOf = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => resolve(body));
  });

/** A signature as the provider makes it: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export const signatureOf = (secret: string, body: string, at: number) =>
  `t=${at},v1=${createHmac("sha256", secret).update(`${at}.${body}`).digest("hex")}`;

export async function provideIdentityProvider(project: TestProject): Promise<() => Promise<void>> {
  const webhookSecret = randomBytes(32).toString("hex");
  const sessions = new Map<string, StoredSession>();
  const byIdempotencyKey = new Map<string, string>();
  const server = createServer(async (request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const url = new URL(request.url ?? "/", "http://localhost");
    const [, first, second, third] = url.pathname.split("/");
    const raw = await bodyOf(request);
    if (request.method === "POST" && first === "v1" && second === "sessions") {
      if (request.headers.authorization !== `Bearer ${API_KEY}`) return reply(401, { error: "bad key" });
      const key = request.headers["idempotency-key"] as string | undefined;
      const earlier = key ? sessions.get(byIdempotencyKey.get(key) ?? "") : undefined;
      if (earlier) return reply(201, { id: earlier.id, url: `https://verify.example/s/${earlier.id}` });
      const asked = JSON.parse(raw) as Omit<StoredSession, "id" | "authorization" | "idempotency_key">;
      if (asked.person.full_name === "Provider Outage") return reply(503, { error: "maintenance" });
      const id = `ses_${randomBytes(8).toString("hex")}`;
      sessions.set(id, {
        ...asked,
        id,
        authorization: request.headers.authorization,
        idempotency_key: key,
      });
      if (key) byIdempotencyKey.set(key, id);
      return reply(201, { id, url: `https://verify.example/s/${id}`, expires_at: asked.expires_at });
    }
    const session = first === "sessions" ? sessions.get(second ?? "") : undefined;
    if (!session) return reply(404, { error: "no such session" });
    if (request.method === "GET" && third === undefined) return reply(200, session);
    if (request.method === "POST" && third === "decide") {
      const asked = JSON.parse(raw) as {
        decision: string;
        reasons?: string[];
        document?: Record<string, unknown> | null;
        selfie?: Record<string, unknown> | null;
        /** Seconds to shift the signature's time by (a stale delivery). */
        signed_offset_s?: number;
      };
      const checked = asked.decision !== "expired";
      const event = {
        id: `evt_${randomBytes(8).toString("hex")}`,
        type: "verification.decided",
        created_at: new Date().toISOString(),
        session: { id: session.id, reference: session.reference },
        decision: asked.decision,
        reasons: asked.reasons ?? [],
        document:
          asked.document === null || !checked
            ? null
            : {
                result: "clear",
                type: "passport",
                issuing_country: session.person.country,
                expiry_date: "2034-06-30",
                full_name: session.person.full_name.toUpperCase(),
                date_of_birth: session.person.date_of_birth,
                ...asked.document,
              },
        selfie:
          asked.selfie === null || !checked
            ? null
            : { result: "clear", liveness: "clear", similarity: 0.97, ...asked.selfie },
      };
      const body = JSON.stringify(event);
      const at = Math.floor(Date.now() / 1000) + (asked.signed_offset_s ?? 0);
      return reply(200, { body, signature: signatureOf(webhookSecret, body, at), event_id: event.id });
    }
    reply(404, { error: "no such route" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("identityProvider", { url: `http://127.0.0.1:${port}`, apiKey: API_KEY, webhookSecret });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
