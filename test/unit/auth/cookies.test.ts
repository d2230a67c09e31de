import { describe, expect, it } from "vitest";
import type { AppConfig } from "../../../src/config";
import { AppError } from "../../../src/errors";
import { clearedCookies, csrfCookie, refreshCookie } from "../../../src/routes/auth/cookies";
import { csrfKeys, issueCsrfToken, verifyCsrfToken } from "../../../src/services/auth/cookies";
import { generateSigningKey } from "../../../src/services/auth/keys";

const configWith = (keys: unknown[]) => ({ JWT_SIGNING_KEYS: JSON.stringify(keys) }) as AppConfig;
const SESSION = "6f1c2e0a-4b7d-4c1e-9a53-2d8f0b6e7a91";
const OTHER_SESSION = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";

const [current, previous, stranger] = await Promise.all([
  generateSigningKey("current"),
  generateSigningKey("previous"),
  generateSigningKey("stranger"),
]);
const keys = await csrfKeys(configWith([current, previous]));

describe("CSRF tokens", () => {
  it("verify to the session they were issued for, and differ every time", async () => {
    const token = await issueCsrfToken(keys, SESSION);
    expect(token).toMatch(new RegExp(`^current\\.${SESSION}\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}$`));
    expect(await verifyCsrfToken(keys, token)).toBe(SESSION);
    expect(await issueCsrfToken(keys, SESSION)).not.toBe(token);
  });

  it("fail when any part is changed: another session, nonce or signature", async () => {
    const [kid, sid, nonce, mac] = (await issueCsrfToken(keys, SESSION)).split(".") as string[];
    const otherToken = await issueCsrfToken(keys, OTHER_SESSION);
    const otherMac = otherToken.split(".")[3];
    const flip = (text = "") => `${text.slice(0, 5)}${text[5] === "A" ? "B" : "A"}${text.slice(6)}`;
    for (const forged of [
      `${kid}.${OTHER_SESSION}.${nonce}.${mac}`,
      `${kid}.${sid}.${flip(nonce)}.${mac}`,
      `${kid}.${sid}.${nonce}.${flip(mac)}`,
      `${kid}.${sid}.${nonce}.${otherMac}`,
      `previous.${sid}.${nonce}.${mac}`,
    ]) {
      expect(await verifyCsrfToken(keys, forged), forged).toBeUndefined();
    }
    expect(await verifyCsrfToken(keys, otherToken)).toBe(OTHER_SESSION);
  });

  it("refuse anything that is not a token", async () => {
    const token = await issueCsrfToken(keys, SESSION);
    for (const junk of [
      "",
      ".",
      "...",
      `${token}.`,
      `x${token}`,
      `${token} `,
      token.toUpperCase(),
      "a".repeat(5000),
    ]) {
      expect(await verifyCsrfToken(keys, junk), junk.slice(0, 40)).toBeUndefined();
    }
  });

  it("follow key rotation: a previous key still verifies, a removed or foreign key does not", async () => {
    const oldToken = await issueCsrfToken(await csrfKeys(configWith([previous])), SESSION);
    expect(await verifyCsrfToken(keys, oldToken)).toBe(SESSION);
    expect(await verifyCsrfToken(await csrfKeys(configWith([current])), oldToken)).toBeUndefined();
    // The same kid with other key material: the derivation depends on the private key, not on the name.
    const impostor = await csrfKeys(configWith([{ ...stranger, kid: "current" }]));
    expect(await verifyCsrfToken(keys, await issueCsrfToken(impostor, SESSION))).toBeUndefined();
  });

  it("need configured signing keys (503 otherwise)", () => {
    expect(() => csrfKeys({} as AppConfig)).toThrowError(AppError);
  });
});

describe("cookies", () => {
  it("scope the refresh token to the refresh path, HttpOnly, Secure, SameSite=Strict, __Secure-", () => {
    expect(refreshCookie("abc", 604_800)).toBe(
      "__Secure-finedge_refresh=abc; Max-Age=604800; Path=/api/v1/auth/refresh; HttpOnly; Secure; SameSite=Strict",
    );
  });

  it("make the CSRF token readable on every path, Secure, SameSite=Strict, __Host-", () => {
    expect(csrfCookie("k.s.n.m", 99.7)).toBe(
      "__Host-finedge_csrf=k.s.n.m; Max-Age=99; Path=/; Secure; SameSite=Strict",
    );
  });

  it("are deleted with Max-Age=0 and the same attributes", () => {
    expect(clearedCookies()).toEqual([
      "__Secure-finedge_refresh=; Max-Age=0; Path=/api/v1/auth/refresh; HttpOnly; Secure; SameSite=Strict",
      "__Host-finedge_csrf=; Max-Age=0; Path=/; Secure; SameSite=Strict",
    ]);
  });
});
