/**
 * A stand-in for GitHub's OAuth endpoints and the two API calls sign-in makes, on loopback: the authorize page
 * (the account named by `login`, registered first with `POST /__test/accounts`, approves at once), the code
 * exchange (client secret, redirect URI and PKCE S256 verifier checked; a code works once) and `/user`,
 * `/user/emails` for the access token it issued. Errors come back as GitHub sends them: 200 with `error`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    gitHub: { url: string; clientId: string; clientSecret: string };
  }
}

interface Account {
  id: number;
  login: string;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

const bodyOf = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => resolve(body));
  });

export async function provideGitHub(project: TestProject): Promise<() => Promise<void>> {
  const clientId = "github-client";
  const clientSecret = randomBytes(16).toString("hex");
  const accounts = new Map<string, Account>();
  const codes = new Map<string, { login: string; redirectUri: string; challenge: string }>();
  const tokens = new Map<string, string>();
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method === "POST" && url.pathname === "/__test/accounts") {
      const account = JSON.parse(await bodyOf(request)) as Account;
      accounts.set(account.login, account);
      return json(200, account);
    }
    if (request.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const login = url.searchParams.get("login") ?? "";
      const redirectUri = url.searchParams.get("redirect_uri") ?? "";
      if (url.searchParams.get("client_id") !== clientId || !accounts.has(login)) return json(400, {});
      const code = randomBytes(10).toString("hex");
      codes.set(code, { login, redirectUri, challenge: url.searchParams.get("code_challenge") ?? "" });
      const to = new URL(redirectUri);
      to.searchParams.set("code", code);
      to.searchParams.set("state", url.searchParams.get("state") ?? "");
      response.writeHead(302, { location: to.href }).end();
      return;
    }
    if (request.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = new URLSearchParams(await bodyOf(request));
      const issued = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      const ok =
        issued &&
        form.get("client_id") === clientId &&
        form.get("client_secret") === clientSecret &&
        form.get("redirect_uri") === issued.redirectUri &&
        createHash("sha256").update(verifier).digest("base64url") === issued.challenge;
      if (!ok) return json(200, { error: "bad_verification_code" });
      const token = `gho_${randomBytes(16).toString("hex")}`;
      tokens.set(token, issued.login);
      return json(200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
    }
    const login = tokens.get((request.headers.authorization ?? "").replace(/^Bearer /, ""));
    const account = login ? accounts.get(login) : undefined;
    if (!account) return json(401, { message: "Bad credentials" });
    if (url.pathname === "/user") return json(200, { id: account.id, login: account.login });
    if (url.pathname === "/user/emails") return json(200, account.emails);
    json(404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("gitHub", { url: `http://127.0.0.1:${port}`, clientId, clientSecret });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
