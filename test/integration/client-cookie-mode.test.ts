import { describe, expect, it } from "vitest";
import { ok, type Tokens } from "../../client/src";
import { PASSWORD, uniqueEmail } from "./auth-helpers";
import { expireAccessToken, testClient } from "./client-fixtures";

/** The browser's part: keeps the cookies the API sets and sends each one on the paths it belongs to. */
function browserCookies() {
  const jar = new Map<string, { value: string; path: string }>();
  return {
    jar,
    network: async (path: string, init: RequestInit, app: () => Promise<Response>) => {
      const cookies = [...jar]
        .filter(([, c]) => path.startsWith(c.path))
        .map(([name, c]) => `${name}=${c.value}`);
      if (cookies.length) (init.headers as Headers).set("cookie", cookies.join("; "));
      const response = await app();
      for (const line of response.headers.getSetCookie()) {
        const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
        const name = pair.slice(0, pair.indexOf("="));
        const cookiePath = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
        if (/max-age=0/i.test(line)) jar.delete(name);
        else jar.set(name, { value: pair.slice(name.length + 1), path: cookiePath });
      }
      return response;
    },
  };
}

describe("the typed client in cookie mode", () => {
  it("keeps the refresh token out of the store, sends the CSRF token on writes, refreshes by cookie and signs out", async () => {
    const browser = browserCookies();
    const { client, store, sent, count } = testClient({ tokenDelivery: "cookie", network: browser.network });
    await client.auth.register({ email: uniqueEmail("cookie-client"), password: PASSWORD });
    const signedIn = (await store.get()) as Tokens;
    expect(signedIn.refreshToken).toBeUndefined();
    expect(signedIn.csrfToken).toBeTruthy();
    expect(browser.jar.has("__Secure-finedge_refresh")).toBe(true);
    expect(sent[0]?.headers.get("x-token-delivery")).toBe("cookie");

    await ok(client.api.POST("/api/v1/organizations", { body: { name: "Desk" } }));
    expect(sent.at(-1)?.headers.get("x-csrf-token")).toBe(signedIn.csrfToken);

    const refreshCookie = browser.jar.get("__Secure-finedge_refresh")?.value;
    await expireAccessToken(store);
    await ok(client.api.GET("/api/v1/auth/me"));
    expect(count("POST", "/api/v1/auth/refresh")).toBe(1);
    const refreshed = (await store.get()) as Tokens;
    expect(refreshed.refreshToken).toBeUndefined();
    expect(refreshed.csrfToken).not.toBe(signedIn.csrfToken);
    expect(browser.jar.get("__Secure-finedge_refresh")?.value).not.toBe(refreshCookie);

    await client.auth.logout();
    expect(await store.get()).toBeNull();
    expect(browser.jar.size).toBe(0);
  });
});
