import { neonConfig } from "@neondatabase/serverless";

/**
 * Points the Neon driver at a local WebSocket-to-TCP relay (`host:port`) instead of Neon's own proxy:
 * plain `ws://`, no TLS inside the socket, and no pipelined startup (SCRAM cannot be pipelined).
 * The driver's configuration is global to the isolate or process.
 */
export function routeThroughRelay(relay: string): void {
  neonConfig.wsProxy = (host, port) => `${relay}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/**
 * Points the driver's HTTP queries at a local server speaking Neon's SQL-over-HTTP protocol
 * (tools/sql-over-http.ts), and forwards each call's request id (`fetchOptions.requestId`, set per request
 * in db/client.ts) as `X-Request-Id`, so the local server can count a request's round trips.
 */
export function routeThroughLocalHttp(endpoint: string): void {
  neonConfig.fetchEndpoint = endpoint;
  neonConfig.fetchFunction = (url: string, init: RequestInit & { requestId?: string }) => {
    const { requestId, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (requestId) headers.set("X-Request-Id", requestId);
    return fetch(url, { ...rest, headers });
  };
}
