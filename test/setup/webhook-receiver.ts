/**
 * Local receivers for webhook deliveries, for the suites: `POST /r/{token}/{mode}` answers as `mode` says - `ok`
 * (200), `fail` (500 with a body), `slow` (answers after 3 s, past the sender's timeout in the tests), `redirect`
 * (302 to the same token's `ok`, which a sender must not follow) - and keeps what it was sent, which
 * `GET /received/{token}` lists: the mode, the headers and the raw body.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiver: string;
  }
}

interface Received {
  mode: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function provideWebhookReceiver(project: TestProject): Promise<() => Promise<void>> {
  const received = new Map<string, Received[]>();
  const server = createServer((request, response) => {
    const [, kind, token = "", mode = ""] = new URL(request.url ?? "/", "http://localhost").pathname.split(
      "/",
    );
    if (request.method === "GET" && kind === "received") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(received.get(token) ?? []));
      return;
    }
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      if (kind !== "r") {
        response.writeHead(404).end();
        return;
      }
      received.set(token, [...(received.get(token) ?? []), { mode, headers: request.headers, body }]);
      if (mode === "ok") response.writeHead(200, { "content-type": "text/plain" }).end("thanks");
      else if (mode === "fail")
        response.writeHead(500, { "content-type": "text/plain" }).end("receiver broke");
      else if (mode === "redirect") response.writeHead(302, { location: `/r/${token}/ok` }).end();
      else if (mode === "slow") setTimeout(() => response.writeHead(200).end("late"), 3_000);
      else response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("webhookReceiver", `http://127.0.0.1:${port}`);
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}
