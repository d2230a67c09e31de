/** Customers, verifications and the stand-in provider (test/setup/identity-provider.ts), for the suites. */
import { expect, inject } from "vitest";
import { api } from "./auth-helpers";
import { call } from "./helpers";
import type { TenantFixture } from "./tenancy-fixtures";

export const provider = inject("identityProvider");

export interface Verification {
  id: string;
  customer_id: string;
  status: string;
  session_url: string | null;
  provider_session_id: string;
  outcome: {
    decision: string;
    document: Record<string, unknown> | null;
    selfie: Record<string, unknown> | null;
    name_similarity: number | null;
    date_of_birth_matches: boolean | null;
    reasons: string[];
  } | null;
  review: { by: string; note: string | null } | null;
}
export interface Customer {
  id: string;
  kyc_status: string;
  kyc_level: number;
  risk_rating: string;
  risk_factors: Array<{ factor: string; points: number }>;
}

export const person = (name = "Zoë Étienne Marchand", dateOfBirth: string | null = "1990-07-14") => ({
  kind: "person",
  country: "FR",
  identity: { name, ...(dateOfBirth ? { date_of_birth: dateOfBirth } : {}) },
});

export async function onboard(tenant: TenantFixture, body: Record<string, unknown> = person()) {
  const response = await api("/api/v1/customers", { token: tenant.admin.token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Customer>();
}

export const customerOf = async (tenant: TenantFixture, id: string) =>
  (await api(`/api/v1/customers/${id}`, { token: tenant.admin.token })).json<Customer>();

export async function start(tenant: TenantFixture, customerId: string, token = tenant.admin.token) {
  const response = await api(`/api/v1/customers/${customerId}/verifications`, { method: "POST", token });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Verification>();
}

/** The provider decides a session: the event it would send, and its signature. */
export async function decide(sessionId: string, decision: Record<string, unknown>) {
  const response = await fetch(`${provider.url}/sessions/${sessionId}/decide`, {
    method: "POST",
    body: JSON.stringify(decision),
  });
  expect(response.status).toBe(200);
  return response.json<{ body: string; signature: string; event_id: string }>();
}

/** Delivers an event to the Worker's callback as the provider does: the body as signed, byte for byte. */
export const deliver = (
  event: { body: string; signature?: string | undefined },
  headers: Record<string, string> = {},
) =>
  call("/api/v1/identity-verifications/events", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(event.signature ? { "x-signature": event.signature } : {}),
      ...headers,
    },
    body: event.body,
  });

export const sessionAt = async (sessionId: string) =>
  (await fetch(`${provider.url}/sessions/${sessionId}`)).json<{
    reference: string;
    person: Record<string, string>;
    checks: string[];
    callback_url: string;
    authorization: string;
    idempotency_key: string;
  }>();

export const getVerification = async (tenant: TenantFixture, id: string) =>
  (await api(`/api/v1/identity-verifications/${id}`, { token: tenant.admin.token })).json<Verification>();
