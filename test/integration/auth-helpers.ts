import { expect } from "vitest";
import { call } from "./helpers";

/** A unique, valid address per call, so tests never share accounts. */
export const uniqueEmail = (label = "user") => `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;
export const PASSWORD = "plum-orbit-lantern-42";

/** JSON request through the deployed Worker, with an optional bearer token. */
export function api(
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return call(path, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

export interface Registered {
  email: string;
  password: string;
  access_token: string;
  refresh_token: string;
  session_id: string;
  user: { id: string; tenant_id: string; email: string; role: string };
  tenant: { id: string; name: string };
}

/** Registers a fresh account and returns its tokens. */
export async function registerUser(label = "user", password = PASSWORD): Promise<Registered> {
  const email = uniqueEmail(label);
  const response = await api("/api/v1/auth/register", { body: { email, password } });
  expect(response.status, await response.clone().text()).toBe(201);
  return { email, password, ...(await response.json<Omit<Registered, "email" | "password">>()) };
}

/**
 * Re-authenticates a session for the operations that need a recent step-up: `{password}` without 2FA,
 * `{code}` (TOTP or backup code) with it.
 */
export async function stepUp(token: string, proof: { password: string } | { code: string }) {
  const response = await api("/api/v1/auth/step-up", { token, body: proof });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** Signs in with a password; returns the parsed body and status. */
export async function loginUser(email: string, password: string, headers?: Record<string, string>) {
  const response = await api("/api/v1/auth/login", { body: { email, password }, headers });
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json<Record<string, unknown>>(),
  };
}

interface MailboxMessage {
  template: string;
  body_text: string;
}

/** The messages sent to an address, newest first, as the local mailbox shows them. */
export async function mailbox(to: string): Promise<MailboxMessage[]> {
  const response = await api(`/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
  expect(response.status).toBe(200);
  return (await response.json<{ messages: MailboxMessage[] }>()).messages;
}

/**
 * Waits until the mailbox holds at least `count` messages of a template and returns them, newest first.
 * Links are e-mailed after the response, so a test may look before the message is there: it polls, for a
 * bounded time, and fails with the mailbox's content rather than hang.
 */
export async function waitForMail(to: string, template: string, count = 1): Promise<MailboxMessage[]> {
  const deadline = Date.now() + 10_000;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    const messages = (await mailbox(to)).filter((m) => m.template === template);
    if (messages.length >= count) return messages;
    if (Date.now() > deadline) {
      expect(messages.length, `${count} ${template} e-mail(s) for ${to}`).toBeGreaterThanOrEqual(count);
      return messages;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The token in a message's link. */
export function tokenIn(message: MailboxMessage | undefined): string {
  const token = message?.body_text.match(/token=([A-Za-z0-9_-]+)/)?.[1];
  expect(token, "a link with a token").toBeDefined();
  return token as string;
}

/** The newest message of a template in the local mailbox (waiting for it if need be), and the token in its link. */
export async function mailboxToken(to: string, template: string, count = 1): Promise<string> {
  return tokenIn((await waitForMail(to, template, count))[0]);
}
