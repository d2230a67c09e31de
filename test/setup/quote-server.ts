/**
 * A local stand-in for the quote provider (Alpha Vantage's GLOBAL_QUOTE), for the price-feed suites: the
 * Worker under test fetches it over real HTTP. Tests set a ticker's quote with `PUT /quotes/{ticker}` and
 * read how often it was asked for with `GET /requests/{ticker}`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The stand-in provider: its base URL (the query endpoint is `${url}/query`) and the key it accepts. */
    quoteServer: { url: string; apiKey: string };
  }
}

const QUOTE_API_KEY = "test-quote-key";

export async function provideQuoteServer(project: TestProject): Promise<() => Promise<void>> {
  const quotes = new Map<string, string>();
  const requests = new Map<string, number>();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const [, resource, ticker = ""] = url.pathname.split("/");
    if (request.method === "PUT" && resource === "quotes") {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        quotes.set(decodeURIComponent(ticker), (JSON.parse(body) as { price: string }).price);
        reply(204, null);
      });
      return;
    }
    if (resource === "requests") return reply(200, { count: requests.get(decodeURIComponent(ticker)) ?? 0 });
    if (resource !== "query" || url.searchParams.get("function") !== "GLOBAL_QUOTE") return reply(404, {});
    const symbol = url.searchParams.get("symbol") ?? "";
    requests.set(symbol, (requests.get(symbol) ?? 0) + 1);
    if (url.searchParams.get("apikey") !== QUOTE_API_KEY) {
      return reply(200, { "Error Message": "Invalid API call. Please retry or visit the documentation." });
    }
    const price = quotes.get(symbol);
    if (price === undefined) return reply(200, { "Global Quote": {} });
    // The provider's real shape, numbers as strings, fields the feed ignores included.
    reply(200, {
      "Global Quote": {
        "01. symbol": symbol,
        "02. open": price,
        "03. high": price,
        "04. low": price,
        "05. price": price,
        "06. volume": "1000",
        "07. latest trading day": new Date().toISOString().slice(0, 10),
        "08. previous close": price,
        "09. change": "0.0000",
        "10. change percent": "0.0000%",
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("quoteServer", { url: `http://127.0.0.1:${port}`, apiKey: QUOTE_API_KEY });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
