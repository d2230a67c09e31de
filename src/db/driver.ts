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
