/** Where a webhook may be sent in production (SSRF), and the retry schedule, worked through. */
import { describe, expect, it } from "vitest";
import { failingTooLong, outOfRetries, retryDelaySeconds } from "../../../src/services/webhooks/schedule";
import { newWebhookSecret, signatureOf } from "../../../src/services/webhooks/signing";
import { targetProblem } from "../../../src/services/webhooks/targets";

describe("a webhook's target", () => {
  it("may be https to a public host", () => {
    for (const url of [
      "https://hooks.example.com/finedge",
      "https://hooks.example.com:8443/x?y=1",
      "https://8.8.8.8/hook",
      "https://[2606:4700::1111]/hook",
    ]) {
      expect(targetProblem(url, false), url).toBeNull();
    }
  });

  it("may not be plain http, carry credentials, use another port or name a private, loopback or reserved place", () => {
    const refused: Array<[string, string]> = [
      ["http://hooks.example.com/", "https only"],
      ["https://user:pass@hooks.example.com/", "credentials in the URL are not allowed"],
      ["https://hooks.example.com:22/", "port 443 or 8443 only"],
      ["https://hooks.example.com/#x", "a URL fragment is not allowed"],
      ["https://localhost/", "not a public host name"],
      ["https://api.localhost/", "not a public host name"],
      ["https://printer.local/", "not a public host name"],
      ["https://db.internal/", "not a public host name"],
      ["https://intranet/", "not a public host name"],
      ["https://127.0.0.1/", "a private or reserved address"],
      ["https://10.1.2.3/", "a private or reserved address"],
      ["https://172.20.0.1/", "a private or reserved address"],
      ["https://192.168.1.1/", "a private or reserved address"],
      ["https://169.254.169.254/latest/meta-data", "a private or reserved address"],
      ["https://100.64.0.1/", "a private or reserved address"],
      ["https://0.0.0.0/", "a private or reserved address"],
      ["https://224.0.0.1/", "a private or reserved address"],
      ["https://[::1]/", "a private or reserved address"],
      ["https://[fd00::1]/", "a private or reserved address"],
      ["https://[fe80::1]/", "a private or reserved address"],
      ["https://[::ffff:127.0.0.1]/", "a private or reserved address"],
      ["not a url", "not a URL"],
    ];
    for (const [url, why] of refused) expect(targetProblem(url, false), url).toBe(why);
    // Where the runtime itself is local, local receivers over http are allowed; other schemes never.
    expect(targetProblem("http://127.0.0.1:9000/r", true)).toBeNull();
    expect(targetProblem("ftp://127.0.0.1/r", true)).toBe("http or https only");
  });
});

describe("the retry schedule", () => {
  it("waits a minute, five, thirty, two hours, five, then ten hours, with at most 10% jitter", () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => retryDelaySeconds(n, () => 0))).toEqual([
      60, 300, 1_800, 7_200, 18_000, 36_000, 36_000,
    ]);
    expect(retryDelaySeconds(1, () => 0.999)).toBe(66);
  });

  it("gives up three days after the event, and disables an endpoint failing for three days", () => {
    const now = new Date("2026-12-05T12:00:00Z");
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const day = 86_400_000;
    expect(outOfRetries(ago(3 * day - 1), now)).toBe(false);
    expect(outOfRetries(ago(3 * day), now)).toBe(true);
    expect(failingTooLong(null, now)).toBe(false);
    expect(failingTooLong(ago(3 * day - 1), now)).toBe(false);
    expect(failingTooLong(ago(3 * day), now)).toBe(true);
  });
});

describe("signing", () => {
  it("signs t.body with HMAC-SHA256 (a vector computed with Python's hmac) and makes 32-byte secrets", async () => {
    // hmac.new(b"whsec_test", b"1764936000.{\"a\":1}", sha256).hexdigest()
    expect(await signatureOf("whsec_test", '{"a":1}', new Date(1_764_936_000_000))).toBe(
      "t=1764936000,v1=b2c529e3a7ad11c73aadf1dcff2822714f9277fff2ac49deec2762ae6746987a",
    );
    const secrets = new Set(Array.from({ length: 20 }, newWebhookSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  });
});
