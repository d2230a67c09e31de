/** Webhook endpoints, the local receivers (test/setup/webhook-receiver.ts) and driving the sender by hand. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { expect, inject } from "vitest";
import { RequestDatabase } from "../../src/db/client";
import type { Bindings } from "../../src/env";
import worker from "../../src/index";
import type { WebhookMessage } from "../../src/queues/messages";
import { dispatchDue } from "../../src/services/webhooks/dispatch";
import { api } from "./auth-helpers";
import { bindings } from "./helpers";
import { addUser, query, type TenantFixture } from "./tenancy-fixtures";

export const receiver = inject("webhookReceiver");

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  status: string;
  disabled_reason: string | null;
  version: number;
  secret?: string;
}

/** A receiver of its own: `mode` is how it answers. */
export const receiverUrl = (mode: "ok" | "fail" | "slow" | "redirect", token = crypto.randomUUID()) => ({
  url: `${receiver}/r/${token}/${mode}`,
  token,
});

export const received = async (token: string) =>
  (await fetch(`${receiver}/received/${token}`)).json<
    Array<{ mode: string; headers: Record<string, string>; body: string }>
  >();

export async function register(tenant: TenantFixture, url: string, events: string[]) {
  const response = await api("/api/v1/webhooks/endpoints", {
    token: tenant.admin.token,
    body: { url, events },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Endpoint & { secret: string }>();
}

/** A queue that keeps what it is sent, standing in for the real one so a test decides when messages run. */
export function recordingQueue() {
  const sent: Array<{ body: WebhookMessage; delaySeconds?: number | undefined }> = [];
  return {
    sent,
    queue: {
      send: async (body: WebhookMessage, options?: { delaySeconds?: number }) => {
        sent.push({ body, delaySeconds: options?.delaySeconds });
      },
      sendBatch: async (messages: Iterable<{ body: WebhookMessage }>) => {
        for (const message of messages) sent.push({ body: message.body });
      },
    },
  };
}

/** The deliveries due now handed to a recording queue, as the cron does; their messages. */
export async function dispatchNow(): Promise<WebhookMessage[]> {
  const { sent, queue } = recordingQueue();
  const database = new RequestDatabase({
    url: bindings.DATABASE_URL as string,
    relay: bindings.WS_RELAY,
    httpEndpoint: bindings.SQL_HTTP_ENDPOINT,
  });
  try {
    await dispatchDue(database, queue as unknown as Queue<unknown>, new Date());
  } finally {
    await database.close();
  }
  return sent.map((s) => s.body);
}

/** Runs the consumer on `messages`, its own retries kept in a recording queue; what it queued. */
export async function consume(messages: WebhookMessage[], overrides: Partial<Bindings> = {}) {
  const { sent, queue } = recordingQueue();
  const batch = createMessageBatch(
    "finedge-scoring-dev",
    messages.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, {
    ...bindings,
    ...overrides,
    SCORING_QUEUE: queue as unknown as Queue,
  });
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
  return sent;
}

/** HMAC-SHA256 of `t.body` under `secret`, hex - the receiver's own check of a delivery's signature. */
export async function expectedSignature(secret: string, t: string, body: string) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${body}`));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Disables a fresh member of the tenant: a `user.disabled` event. */
export async function disableSomeone(tenant: TenantFixture) {
  const user = await addUser(tenant, "viewer");
  const response = await api(`/api/v1/users/${user.id}`, {
    method: "PATCH",
    token: tenant.admin.token,
    body: { status: "disabled" },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return user;
}

/** An endpoint's deliveries, oldest first, as stored. */
export const deliveriesOf = (endpointId: string) =>
  query<{
    id: string;
    status: string;
    attempts: number;
    next_attempt_at: string | null;
    last_status_code: number;
  }>(
    sql`select id, status, attempts, next_attempt_at, last_status_code from webhook_deliveries
         where endpoint_id = ${endpointId} order by created_at`,
  );

/** The sweep's messages for this tenant only: other suites' deliveries may be due at the same time. */
export const mine = async (tenant: TenantFixture) =>
  (await dispatchNow()).filter((m) => m.tenantId === tenant.id);
