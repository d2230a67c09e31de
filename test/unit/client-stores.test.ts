import { describe, expect, it } from "vitest";
import {
  FinEdgeProblem,
  retryAfterMs,
  type SecureStorageAdapter,
  secureTokenStore,
  type WebStorage,
  webStorageTokenStore,
} from "../../client/src";

const tokens = { accessToken: "a", refreshToken: "r" };

describe("the typed client's token stores", () => {
  it("web storage keeps the tokens as JSON under one key and clears them", () => {
    const items = new Map<string, string>();
    const storage: WebStorage = {
      getItem: (key) => items.get(key) ?? null,
      setItem: (key, value) => items.set(key, value),
      removeItem: (key) => items.delete(key),
    };
    const store = webStorageTokenStore(storage, "k");
    expect(store.get()).toBeNull();
    store.set(tokens);
    expect(JSON.parse(items.get("k") as string)).toEqual(tokens);
    expect(webStorageTokenStore(storage, "k").get()).toEqual(tokens);
    store.clear();
    expect(items.size).toBe(0);
  });

  it("secure storage is read once, then served from memory, and written through", async () => {
    const items = new Map<string, string>([["finedge.tokens", JSON.stringify(tokens)]]);
    let reads = 0;
    const adapter: SecureStorageAdapter = {
      getItem: async (key) => {
        reads++;
        return items.get(key) ?? null;
      },
      setItem: async (key, value) => {
        items.set(key, value);
      },
      deleteItem: async (key) => {
        items.delete(key);
      },
    };
    const store = secureTokenStore(adapter);
    expect(await store.get()).toEqual(tokens);
    expect(await store.get()).toEqual(tokens);
    expect(reads).toBe(1);
    await store.set({ accessToken: "b", refreshToken: "s" });
    expect(JSON.parse(items.get("finedge.tokens") as string)).toEqual({
      accessToken: "b",
      refreshToken: "s",
    });
    await store.clear();
    expect(await store.get()).toBeNull();
    expect(items.size).toBe(0);
  });
});

describe("the typed client's reading of answers", () => {
  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("7", now)).toBe(7000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });

  it("tells an answer that is no problem document of the API from one that is", async () => {
    const proxy = await FinEdgeProblem.fromResponse(
      new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } }),
    );
    expect(proxy).toMatchObject({ status: 502, code: "unexpected_response", errors: [] });
    const unknownCode = await FinEdgeProblem.fromResponse(
      new Response(JSON.stringify({ code: "no_such_code", title: "?" }), {
        status: 400,
        headers: { "content-type": "application/problem+json" },
      }),
    );
    expect(unknownCode).toMatchObject({ code: "unexpected_response", title: "?" });
  });
});
