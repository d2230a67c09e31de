import { AsyncLocalStorage } from "node:async_hooks";
import { neonConfig } from "@neondatabase/serverless";

/**
 * Locally, the id of the request whose database calls run in this async context: the local server counts a
 * request's round trips by it. The HTTP handle is shared by every request of the isolate, so the id cannot
 * ride on the handle; production sets none.
 */
export const localRequest = new AsyncLocalStorage<string>();

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
 * (tools/sql-over-http.ts), and forwards each call's request id (`localRequest`, set by the database
 * middleware) as `X-Request-Id`, so the local server can count a request's round trips.
 */
export function routeThroughLocalHttp(endpoint: string): void {
  neonConfig.fetchEndpoint = endpoint;
  neonConfig.fetchFunction = (url: string, init: RequestInit) => {
    const requestId = localRequest.getStore();
    const headers = new Headers(init.headers);
    if (requestId) headers.set("X-Request-Id", requestId);
    return fetch(url, { ...init, headers });
  };
}
