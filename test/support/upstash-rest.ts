/**
 * An Upstash-compatible REST endpoint in front of a real Redis, so `@upstash/redis` and `@upstash/ratelimit`
 * run unchanged in tests: `POST /` (one command as a JSON array), `POST /pipeline` and `POST /multi-exec`
 * (arrays of commands), bearer-token auth, and base64-encoded results when the client asks for them.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, ErrorReply, MultiErrorReply } from "redis";

/** A running endpoint; `url` is what `UPSTASH_REDIS_REST_URL` would hold. */
export interface UpstashRestServer {
  url: string;
  close(): Promise<void>;
}

/** Where the Redis behind the endpoint is, and the bearer token the endpoint accepts. */
export interface UpstashRestOptions {
  redisUrl: string;
  token: string;
}

type Outcome = { result: unknown } | { error: string };

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
const isLoad = (args: string[]) => args[0]?.toUpperCase() === "SCRIPT" && args[1]?.toUpperCase() === "LOAD";

/**
 * Redis 7.0 refuses the `allow-key-locking` flag that heads Upstash's scripts (newer Redis knows it): drop
 * it, and the shebang line with it when no other flag is left.
 */
function withoutKeyLocking(script: string): string {
  const newline = script.indexOf("\n");
  const first = newline < 0 ? script : script.slice(0, newline);
  if (!first.startsWith("#!lua") || !first.includes("allow-key-locking")) return script;
  const flags = (/flags=(\S*)/.exec(first)?.[1] ?? "")
    .split(",")
    .filter((f) => f && f !== "allow-key-locking");
  const rest = newline < 0 ? "" : script.slice(newline + 1);
  return flags.length > 0 ? `#!lua flags=${flags.join(",")}\n${rest}` : rest;
}

/** Base64 for every string, recursively, as Upstash answers with `Upstash-Encoding: base64`. */
function encode(value: unknown): unknown {
  if (typeof value === "string") return Buffer.from(value, "utf8").toString("base64");
  if (Array.isArray(value)) return value.map(encode);
  return value;
}

/** Starts the endpoint on 127.0.0.1 at a free port. */
export async function startUpstashRestServer({
  redisUrl,
  token,
}: UpstashRestOptions): Promise<UpstashRestServer> {
  // node-redis 5 speaks RESP2 unless told otherwise, which is the reply shape Upstash clients expect.
  const redis = createClient({ url: redisUrl });
  redis.on("error", () => {
    // Reconnection is node-redis's job; a failed command reaches its caller as an error reply.
  });
  await redis.connect();
  // The SHA1 of each original script the clients know -> the script Redis was actually given.
  const rewritten = new Map<string, string>();

  const send = (args: string[]) => redis.sendCommand(args) as Promise<unknown>;

  /**
   * The command Redis can run: scripts rewritten, and an original SHA mapped to the rewritten script's, with
   * the script itself as the fallback when Redis has not seen it (NOSCRIPT) and inside transactions.
   */
  function prepare(command: unknown): { args: string[]; fallback?: string[] } {
    if (!Array.isArray(command) || command.length === 0) throw new Error("a command is a non-empty array");
    const args = command.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg)));
    const name = args[0]?.toUpperCase();
    const at = name === "EVAL" || name === "EVAL_RO" ? 1 : isLoad(args) ? 2 : -1;
    const script = args[at];
    if (script !== undefined) {
      const runnable = withoutKeyLocking(script);
      if (runnable !== script) rewritten.set(sha1(script), runnable);
      args[at] = runnable;
    }
    const known =
      (name === "EVALSHA" || name === "EVALSHA_RO") && rewritten.get(args[1]?.toLowerCase() ?? "");
    if (!known) return { args };
    const rest = args.slice(2);
    return {
      args: [name, sha1(known), ...rest],
      fallback: [name === "EVALSHA" ? "EVAL" : "EVAL_RO", known, ...rest],
    };
  }

  async function run(command: unknown): Promise<Outcome> {
    const { args, fallback } = prepare(command);
    try {
      const result = await send(args).catch((error: unknown) => {
        const unseen = error instanceof ErrorReply && error.message.startsWith("NOSCRIPT");
        if (fallback && unseen) return send(fallback);
        throw error;
      });
      // Clients compare SCRIPT LOAD's answer with the SHA of the script they sent, not the rewritten one.
      return { result: isLoad(args) ? sha1(String((command as unknown[])[2])) : result };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  async function transaction(commands: unknown[]): Promise<Outcome[]> {
    const multi = redis.multi();
    for (const command of commands) {
      const { args, fallback } = prepare(command);
      multi.addCommand(fallback ?? args);
    }
    try {
      return (await multi.exec()).map((result) => ({ result }));
    } catch (error) {
      // Commands that fail inside EXEC do not undo the others: report each one's own outcome.
      if (!(error instanceof MultiErrorReply)) throw error;
      return error.replies.map((reply) =>
        reply instanceof ErrorReply ? { error: reply.message } : { result: reply },
      );
    }
  }

  async function answer(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    if (request.headers.authorization !== `Bearer ${token}`) {
      return { status: 401, body: { error: "Unauthorized" } };
    }
    if (request.method !== "POST") return { status: 405, body: { error: "Only POST is supported" } };
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (path === "/") {
      const outcome = await run(body);
      return { status: "error" in outcome ? 400 : 200, body: outcome };
    }
    if (path !== "/pipeline" && path !== "/multi-exec") {
      return { status: 404, body: { error: `Unknown path ${path}` } };
    }
    if (!Array.isArray(body)) throw new Error(`${path} takes an array of commands`);
    if (path === "/multi-exec") return { status: 200, body: await transaction(body) };
    // One after another, as Upstash runs a pipeline: a NOSCRIPT retry must not overtake later commands.
    const outcomes: Outcome[] = [];
    for (const command of body) outcomes.push(await run(command));
    return { status: 200, body: outcomes };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let status: number;
    let body: unknown;
    try {
      ({ status, body } = await answer(request));
    } catch (error) {
      status = 400;
      body = { error: error instanceof Error ? error.message : String(error) };
    }
    const base64 = request.headers["upstash-encoding"]?.toString().toLowerCase() === "base64";
    const encoded = !base64 || status !== 200 ? body : encodeOutcomes(body);
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(encoded));
  }

  const server = createServer((request, response) => void handle(request, response));
  // Node closes an idle kept-alive connection after 5 s by default; a client that reuses it at that moment
  // (workerd pools them) sees "Network connection lost". Upstash's own endpoint keeps them far longer.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Clients keep connections alive; they would hold `close` open until they time out.
      server.closeAllConnections();
      await closed;
      await redis.close();
    },
  };
}

/** Encodes `result` of one outcome or of each in a list; errors stay readable. */
function encodeOutcomes(body: unknown): unknown {
  const one = (outcome: Outcome) => ("result" in outcome ? { result: encode(outcome.result) } : outcome);
  return Array.isArray(body) ? body.map(one) : one(body as Outcome);
}
