/**
 * A real OpenID provider for the suites: panva's certified oidc-provider, on loopback, with three clients -
 * those the Worker uses as "Google" and "Microsoft", and one a tenant configures as its own provider. A test
 * names the account to sign in as with `login_hint` and registers its claims first (`POST /__test/accounts`);
 * the interaction step then finishes at once (no login form). `POST /__test/tamper` makes the next ID token
 * issued to a subject wrong in one way - nonce, audience, expiry, no signature (`alg: none`), or a signature by a
 * key the provider never published - re-signed here with the provider's own key otherwise.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import Provider from "oidc-provider";
import type { TestProject } from "vitest/node";

type Tamper = "wrong_nonce" | "wrong_audience" | "expired" | "alg_none" | "foreign_key";
interface Client {
  clientId: string;
  clientSecret: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    openIdProvider: { issuer: string; google: Client; microsoft: Client; tenant: Client };
  }
}

/** The Worker's origin in the suites (test/integration/helpers.ts calls the app at https://api.test). */
const callback = (provider: string) => `https://api.test/api/v1/auth/federated/${provider}/callback`;

const bodyOf = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => resolve(body));
  });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export async function provideOpenIdProvider(project: TestProject): Promise<() => Promise<void>> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const accounts = new Map<string, Record<string, unknown>>();
  const tampers = new Map<string, Tamper>();
  const clients = {
    google: { clientId: "google-client", clientSecret: crypto.randomUUID() },
    microsoft: { clientId: "microsoft-client", clientSecret: crypto.randomUUID() },
    tenant: { clientId: "tenant-client", clientSecret: crypto.randomUUID() },
  };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: (["google", "microsoft", "tenant"] as const).map((name) => ({
      client_id: clients[name].clientId,
      client_secret: clients[name].clientSecret,
      redirect_uris: [callback(name === "tenant" ? "oidc" : name)],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ["openid-provider-test-cookie-key"] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // Like Google: the address in the ID token itself.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, ...accounts.get(id) }) }),
  });

  const resign = async (kind: Tamper, idToken: string) => {
    const claims = decodeJwt(idToken);
    const now = Math.floor(Date.now() / 1000);
    const changed = {
      ...claims,
      ...(kind === "wrong_nonce" ? { nonce: "not-the-nonce" } : {}),
      ...(kind === "wrong_audience" ? { aud: "another-client" } : {}),
      ...(kind === "expired" ? { iat: now - 7200, exp: now - 3600 } : {}),
    };
    if (kind === "alg_none") return `${b64({ alg: "none", typ: "JWT" })}.${b64(changed)}.`;
    const key = kind === "foreign_key" ? (await generateKeyPair("RS256")).privateKey : privateKey;
    return new SignJWT(changed).setProtectedHeader({ alg: "RS256", kid: "test-key" }).sign(key);
  };

  provider.use(async (ctx, next) => {
    if (ctx.method === "GET" && ctx.path.startsWith("/interaction/")) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      const accountId = String(details.params.login_hint ?? "");
      const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      const result = { login: { accountId }, consent: { grantId } };
      ctx.redirect(
        await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }),
      );
      return;
    }
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (ctx.path === "/token" && body?.id_token) {
      const sub = decodeJwt(body.id_token).sub ?? "";
      const kind = tampers.get(sub);
      if (kind) {
        tampers.delete(sub);
        ctx.body = { ...body, id_token: await resign(kind, body.id_token) };
      }
    }
  });

  const handle = provider.callback();
  server.on("request", async (request, response) => {
    if (request.method === "POST" && request.url?.startsWith("/__test/")) {
      const asked = JSON.parse(await bodyOf(request)) as {
        sub: string;
        claims?: Record<string, unknown>;
        tamper?: Tamper;
      };
      if (request.url === "/__test/accounts") accounts.set(asked.sub, asked.claims ?? {});
      if (request.url === "/__test/tamper" && asked.tamper) tampers.set(asked.sub, asked.tamper);
      response.writeHead(204).end();
      return;
    }
    handle(request, response);
  });
  project.provide("openIdProvider", { issuer, ...clients });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
