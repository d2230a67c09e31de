import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEmailSender,
  createHttpEmailSender,
  createLogEmailSender,
} from "../../../src/services/email/senders";

const API_KEY = "re_secret_key_123";
const message = { to: "ada@example.com", subject: "Reset your password", bodyText: "token=abc" };

/** Stands in for the provider: records each request and answers with `status`. */
function fakeFetch(status: number, body = "{}") {
  const requests: Request[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(new Request(input, init));
    return new Response(body, { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { impl, requests };
}

afterEach(() => vi.restoreAllMocks());

describe("createHttpEmailSender", () => {
  it("posts Resend's JSON shape with a bearer key and the idempotency key", async () => {
    const provider = fakeFetch(200, '{"id":"m1"}');
    const sender = createHttpEmailSender({
      apiKey: API_KEY,
      from: "FinEdge <s@finedge.test>",
      fetch: provider.impl,
    });
    await sender.send({ ...message, idempotencyKey: "row-1" });

    expect(provider.requests).toHaveLength(1);
    const request = provider.requests[0] as Request;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://api.resend.com/emails");
    expect(request.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(request.headers.get("idempotency-key")).toBe("row-1");
    expect(await request.json()).toEqual({
      from: "FinEdge <s@finedge.test>",
      to: ["ada@example.com"],
      subject: "Reset your password",
      text: "token=abc",
    });
  });

  it("uses the configured endpoint and sends no idempotency key when none is given", async () => {
    const provider = fakeFetch(202);
    const sender = createHttpEmailSender({
      apiKey: API_KEY,
      from: "s@finedge.test",
      endpoint: "https://mail.internal.test/v1/send",
      fetch: provider.impl,
    });
    await sender.send(message);
    expect(provider.requests[0]?.url).toBe("https://mail.internal.test/v1/send");
    expect(provider.requests[0]?.headers.has("idempotency-key")).toBe(false);
  });

  it("throws with the status on a 500, never with the key - even when the provider echoes it", async () => {
    const provider = fakeFetch(500, `{"message":"internal error for key ${API_KEY}"}`);
    const sender = createHttpEmailSender({ apiKey: API_KEY, from: "s@finedge.test", fetch: provider.impl });
    const error = await sender.send(message).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain("500");
    expect(error?.message).toContain("internal error");
    expect(error?.message).not.toContain(API_KEY);
  });

  it("rejects unusable options when it is built", () => {
    expect(() => createHttpEmailSender({ apiKey: "", from: "s@finedge.test" })).toThrow(/API key/);
    expect(() => createHttpEmailSender({ apiKey: API_KEY, from: "" })).toThrow(/from/);
    expect(() => createHttpEmailSender({ apiKey: API_KEY, from: "s@x.test", endpoint: "not a url" })).toThrow(
      /endpoint/,
    );
  });
});

describe("createLogEmailSender", () => {
  it("writes one record per message with the recipient and subject, never the body", async () => {
    const records: Array<Record<string, unknown>> = [];
    const sender = createLogEmailSender((fields) => records.push(fields));
    await sender.send(message);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ to: "ada@example.com", subject: "Reset your password" });
    expect(JSON.stringify(records)).not.toContain("token=abc");
  });
});

describe("createEmailSender", () => {
  it.each(["development", "test"])("logs in %s without a key", async (ENVIRONMENT) => {
    const console_ = vi.spyOn(console, "log").mockImplementation(() => {});
    const sender = createEmailSender({ ENVIRONMENT });
    expect(sender.name).toBe("log");
    await sender.send(message);
    expect(console_).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(console_.mock.calls[0]?.[0]));
    expect(line).toMatchObject({ level: "info", to: "ada@example.com", subject: "Reset your password" });
    expect(JSON.stringify(line)).not.toContain("token=abc");
  });

  it.each(["staging", "production"])("refuses %s without a key", (ENVIRONMENT) => {
    expect(() => createEmailSender({ ENVIRONMENT })).toThrow(/EMAIL_API_KEY/);
  });

  it.each(["development", "production"])("sends over HTTP in %s when a key is set", (ENVIRONMENT) => {
    const sender = createEmailSender({ ENVIRONMENT, EMAIL_API_KEY: API_KEY, EMAIL_FROM: "s@finedge.test" });
    expect(sender.name).toBe("http");
  });

  it("needs a from address with a key", () => {
    expect(() => createEmailSender({ ENVIRONMENT: "production", EMAIL_API_KEY: API_KEY })).toThrow(
      /EMAIL_FROM/,
    );
  });
});
