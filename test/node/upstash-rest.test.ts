import { createHash } from "node:crypto";
import { connect } from "node:net";
import { type Duration, Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashRestServer, type UpstashRestServer } from "../support/upstash-rest";

const REDIS_URL = "redis://127.0.0.1:6379";

/** Whether anything accepts connections on the machine's Redis port. */
const reachable = await new Promise<boolean>((resolve) => {
  const socket = connect(6379, "127.0.0.1").setTimeout(1000);
  const settle = (answer: boolean) => {
    socket.destroy();
    resolve(answer);
  };
  socket.once("connect", () => settle(true));
  socket.once("error", () => settle(false));
  socket.once("timeout", () => settle(false));
});

const title = reachable
  ? "Upstash REST shim over Redis"
  : `Upstash REST shim over Redis - SKIPPED: nothing listens at ${REDIS_URL} (start redis-server to run it)`;

describe.skipIf(!reachable)(title, () => {
  const token = crypto.randomUUID();
  const run = crypto.randomUUID();
  let server: UpstashRestServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startUpstashRestServer({ redisUrl: REDIS_URL, token });
    redis = new Redis({ url: server.url, token, retry: { retries: 0 }, enableTelemetry: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers set, get and incr with the client's base64 encoding", async () => {
    const key = `shim:${run}:value`;
    expect(await redis.set(key, "grüße, 💶", { ex: 60 })).toBe("OK");
    expect(await redis.get(key)).toBe("grüße, 💶");
    expect(await redis.incr(`shim:${run}:count`)).toBe(1);
    expect(await redis.incr(`shim:${run}:count`)).toBe(2);
    expect(await redis.get(`shim:${run}:missing`)).toBeNull();
    await redis.del(`shim:${run}:count`);
  });

  it("runs a pipeline and a transaction, with a failing command reported on its own", async () => {
    const key = `shim:${run}:pipe`;
    const results = await redis.pipeline().set(key, "7", { ex: 60 }).incr(key).get(key).exec();
    expect(results).toEqual(["OK", 8, 8]);
    const transaction = await redis.multi().incr(key).expire(key, 60).exec();
    expect(transaction).toEqual([9, 1]);
    await expect(redis.pipeline().set(key, "x").incr(key).exec()).rejects.toThrow(/not an integer/);
  });

  it("refuses a wrong token", async () => {
    const stranger = new Redis({
      url: server.url,
      token: "wrong",
      retry: { retries: 0 },
      enableTelemetry: false,
    });
    await expect(stranger.ping()).rejects.toThrow(/Unauthorized/);
  });

  it("keeps the original SHA of a flagged script working with EVALSHA", async () => {
    const script = "#!lua flags=allow-key-locking\nreturn ARGV[1]";
    const sha = createHash("sha1").update(script).digest("hex");
    expect(await redis.scriptLoad(script)).toBe(sha);
    expect(await redis.evalsha(sha, [], ["loaded"])).toBe("loaded");
  });

  const limiters: Array<
    [string, (window: Duration) => ConstructorParameters<typeof Ratelimit>[0]["limiter"]]
  > = [
    ["slidingWindow", (window) => Ratelimit.slidingWindow(5, window)],
    ["fixedWindow", (window) => Ratelimit.fixedWindow(5, window)],
    ["tokenBucket", (window) => Ratelimit.tokenBucket(5, window, 5)],
  ];
  for (const [name, limiter] of limiters) {
    it(`lets exactly 5 of 8 sequential calls through @upstash/ratelimit ${name}`, async () => {
      const ratelimit = new Ratelimit({
        redis,
        limiter: limiter("60 s"),
        prefix: `shim:${run}:${name}`,
        timeout: 0,
        ephemeralCache: false,
      });
      // Eight calls straddling a minute boundary would see two fixed windows.
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 1000) await new Promise((resolve) => setTimeout(resolve, left + 10));
      const outcomes: boolean[] = [];
      for (let n = 0; n < 8; n++) outcomes.push((await ratelimit.limit("client")).success);
      expect(outcomes).toEqual([true, true, true, true, true, false, false, false]);
    });
  }
});
