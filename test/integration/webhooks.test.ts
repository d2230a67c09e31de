/**
 * Webhooks end to end against local receivers (test/setup/webhook-receiver.ts): an endpoint registered with its
 * secret shown once; an event emitted where it happens becoming a delivery; the sweep handing it to the queue and
 * the consumer posting it signed; a receiver that fails retried with back-off, one too slow timed out, a redirect
 * not followed; a message delivered twice sent once; three days of failure giving up and disabling the endpoint
 * with its tenant's admins e-mailed; redelivery from the log; the every-minute cron sweeping. The tests that
 * sweep due deliveries are all here, run one after another, so no other file takes their deliveries.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, waitForMail } from "./auth-helpers";
import { bindings, call, databaseCalls } from "./helpers";
import { createTenant, query } from "./tenancy-fixtures";
import {
  consume,
  deliveriesOf,
  disableSomeone,
  type Endpoint,
  expectedSignature,
  mine,
  received,
  receiverUrl,
  recordingQueue,
  register,
} from "./webhook-fixtures";

describe("webhooks", () => {
  it("registers an endpoint with its secret shown once, and delivers a signed event through the queue", async () => {
    const tenant = await createTenant("hooks");
    const { url, token } = receiverUrl("ok");
    const requestId = `hooks-${crypto.randomUUID()}`;
    const created = await api("/api/v1/webhooks/endpoints", {
      token: tenant.admin.token,
      headers: { "X-Request-Id": requestId },
      body: { url, events: ["user.disabled", "job.finished"], description: "back office" },
    });
    expect(created.status).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 1, websocket: 0 });
    const endpoint = await created.json<Endpoint & { secret: string }>();
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const read = await (
      await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, { token: tenant.admin.token })
    ).json();
    expect(read).not.toHaveProperty("secret");
    const [stored] = await query<{ secret_sealed: string }>(
      sql`select secret_sealed from webhook_endpoints where id = ${endpoint.id}`,
    );
    expect(stored?.secret_sealed.startsWith("v1.")).toBe(true);
    expect(stored?.secret_sealed).not.toContain(endpoint.secret.slice(6));

    // An event no endpoint takes leaves nothing; one it takes, a delivery in the same transaction.
    const user = await disableSomeone(tenant);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: "pending", attempts: 0 });

    const messages = await mine(tenant);
    expect(messages).toEqual([
      { type: "webhook", tenantId: tenant.id, deliveryId: delivery?.id, attempt: 1 },
    ]);
    // Taken: the next sweep leaves it to the message on its way.
    expect(await mine(tenant)).toEqual([]);
    expect(await consume(messages)).toEqual([]);

    const [arrived, ...more] = await received(token);
    expect(more).toEqual([]);
    const body = JSON.parse(arrived?.body ?? "{}");
    expect(body).toMatchObject({ type: "user.disabled", tenant_id: tenant.id, data: { user_id: user.id } });
    expect(arrived?.headers["finedge-event-type"]).toBe("user.disabled");
    expect(arrived?.headers["finedge-event-id"]).toBe(body.id);
    // The receiver's check: HMAC-SHA256 of "t.body" under the secret, t close to now.
    const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(arrived?.headers["finedge-signature"] ?? "") ?? [];
    expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(60);
    expect(mac).toBe(await expectedSignature(endpoint.secret, t as string, arrived?.body ?? ""));

    const log = await api(`/api/v1/webhooks/deliveries/${delivery?.id}`, { token: tenant.admin.token });
    expect(await log.json()).toMatchObject({
      status: "succeeded",
      attempts: 1,
      event: { type: "user.disabled" },
      payload: body,
      log: [{ attempt: 1, status_code: 200, error: null, response_excerpt: "thanks" }],
    });
    // The same message again (a queue delivers at least once): nothing sent twice.
    expect(await consume(messages)).toEqual([]);
    expect(await received(token)).toHaveLength(1);
  });

  it("retries a failing receiver with back-off, times out a slow one and never follows a redirect", async () => {
    const tenant = await createTenant("hooks");
    const failing = receiverUrl("fail");
    const slow = receiverUrl("slow");
    const redirect = receiverUrl("redirect");
    const endpoints = [
      await register(tenant, failing.url, ["user.disabled"]),
      await register(tenant, slow.url, ["user.disabled"]),
      await register(tenant, redirect.url, ["user.disabled"]),
    ];
    await disableSomeone(tenant);
    const messages = await mine(tenant);
    expect(messages).toHaveLength(3);
    const retries = await consume(messages, { WEBHOOK_TIMEOUT_MS: "300" });
    // Each one's next attempt queued with its delay: a minute, with up to 10% jitter.
    expect(retries).toHaveLength(3);
    for (const retry of retries) {
      expect(retry.body.attempt).toBe(2);
      expect(retry.delaySeconds).toBeGreaterThanOrEqual(60);
      expect(retry.delaySeconds).toBeLessThanOrEqual(66);
    }
    const errors: Record<string, string | null> = {};
    for (const [i, endpoint] of endpoints.entries()) {
      const [delivery] = await deliveriesOf(endpoint.id);
      expect(delivery).toMatchObject({ status: "pending", attempts: 1 });
      const detail = await (
        await api(`/api/v1/webhooks/deliveries/${delivery?.id}`, { token: tenant.admin.token })
      ).json<{
        log: Array<{ status_code: number | null; error: string | null; response_excerpt: string | null }>;
      }>();
      errors[["fail", "slow", "redirect"][i] as string] = detail.log[0]?.error ?? null;
      if (i === 0)
        expect(detail.log[0]).toMatchObject({ status_code: 500, response_excerpt: "receiver broke" });
      if (i === 2) expect(detail.log[0]).toMatchObject({ status_code: 302 });
    }
    expect(errors).toEqual({
      fail: "answered 500",
      slow: "no answer within 300 ms",
      redirect: "redirects are not followed",
    });
    expect((await received(redirect.token)).map((r) => r.mode)).toEqual(["redirect"]);
    // The endpoints record since when they fail.
    const [record] = await query<{ failing_since: string | null }>(
      sql`select failing_since from webhook_endpoints where id = ${endpoints[0]?.id}`,
    );
    expect(record?.failing_since).not.toBeNull();
  });

  it("redelivers from the log, and changes an endpoint only at the version read", async () => {
    const tenant = await createTenant("hooks");
    const failing = receiverUrl("fail");
    const endpoint = await register(tenant, failing.url, ["user.disabled"]);
    await disableSomeone(tenant);
    await consume(await mine(tenant));
    const [delivery] = await deliveriesOf(endpoint.id);

    // The receiver mended: point the endpoint at a working one, then send the delivery again.
    const working = receiverUrl("ok");
    const stale = await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { version: endpoint.version + 5, url: working.url },
    });
    expect(stale.status).toBe(409);
    const changed = await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { version: endpoint.version, url: working.url },
    });
    expect(await changed.json()).toMatchObject({ url: working.url, version: endpoint.version + 1 });
    const { sent, queue } = recordingQueue();
    const again = await call(
      `/api/v1/webhooks/deliveries/${delivery?.id}/redeliver`,
      { method: "POST", headers: { authorization: `Bearer ${tenant.admin.token}` } },
      { SCORING_QUEUE: queue as unknown as Queue },
    );
    expect(again.status).toBe(202);
    expect(sent.map((s) => s.body)).toEqual([
      { type: "webhook", tenantId: tenant.id, deliveryId: delivery?.id, attempt: 2 },
    ]);
    expect(await mine(tenant)).toEqual([]);
    await consume(sent.map((s) => s.body));
    expect((await deliveriesOf(endpoint.id))[0]).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(await received(working.token)).toHaveLength(1);

    const deleted = await api(`/api/v1/webhooks/endpoints/${endpoint.id}?version=${endpoint.version + 1}`, {
      method: "DELETE",
      token: tenant.admin.token,
    });
    expect(deleted.status).toBe(204);
    expect(await deliveriesOf(endpoint.id)).toEqual([]);
    const gone = await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, { token: tenant.admin.token });
    expect(gone.status).toBe(404);
  });

  it("gives up after three days, disables an endpoint failing that long and tells the tenant's admins", async () => {
    const tenant = await createTenant("hooks");
    const failing = receiverUrl("fail");
    const endpoint = await register(tenant, failing.url, ["user.disabled"]);
    await disableSomeone(tenant);
    const [delivery] = await deliveriesOf(endpoint.id);
    await query(
      sql`update webhook_deliveries set created_at = now() - interval '3 days 1 minute' where id = ${delivery?.id}`,
    );
    await query(
      sql`update webhook_endpoints set failing_since = now() - interval '3 days' where id = ${endpoint.id}`,
    );
    expect(await consume(await mine(tenant))).toEqual([]);
    expect((await deliveriesOf(endpoint.id))[0]).toMatchObject({ status: "failed", next_attempt_at: null });
    const after = await (
      await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, { token: tenant.admin.token })
    ).json();
    expect(after).toMatchObject({
      status: "disabled",
      disabled_reason: "every delivery failed for three days",
    });
    const [mail] = await waitForMail(tenant.admin.email, "webhook_disabled");
    expect(mail?.body_text).toContain(failing.url);
    const [event] = await query<{ actor_type: string }>(
      sql`select actor_type from audit_events where tenant_id = ${tenant.id} and action = 'webhook_endpoint.disabled'`,
    );
    expect(event?.actor_type).toBe("system");

    // A disabled endpoint gets nothing, and its deliveries cannot be sent again until it is enabled.
    await disableSomeone(tenant);
    expect(await deliveriesOf(endpoint.id)).toHaveLength(1);
    const refused = await api(`/api/v1/webhooks/deliveries/${delivery?.id}/redeliver`, {
      method: "POST",
      token: tenant.admin.token,
    });
    expect(refused.status).toBe(409);
  });

  it("is handed to the queue by the every-minute cron", async () => {
    const tenant = await createTenant("hooks");
    const { url } = receiverUrl("ok");
    await register(tenant, url, ["user.disabled"]);
    await disableSomeone(tenant);
    const tick = async (cron: string) => {
      const { sent, queue } = recordingQueue();
      const ctx = createExecutionContext();
      await worker.scheduled(
        createScheduledController({ cron }),
        { ...bindings, SCORING_QUEUE: queue as unknown as Queue },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return sent.map((s) => s.body).filter((m) => m.tenantId === tenant.id);
    };
    // (The five-minute chores are not run here: they drain every tenant's e-mail, which other suites watch.)
    expect(await tick("* * * * *")).toEqual([
      { type: "webhook", tenantId: tenant.id, deliveryId: expect.any(String), attempt: 1 },
    ]);
  });
});
