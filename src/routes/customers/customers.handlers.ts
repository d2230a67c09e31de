import type { RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import * as customers from "../../services/compliance/customers";
import { requireSealing } from "../../services/crypto/secrets-at-rest";
import { auditEventView } from "../audit/views";
import { pageBody } from "../page";
import type * as routes from "./customers.routes";

export const toCustomerView = (c: customers.Customer): z.infer<typeof routes.CustomerSchema> => ({
  id: c.id,
  kind: c.kind,
  reference: c.reference,
  country: c.country,
  identity: c.identity,
  pep: c.pep,
  kyc_status: c.kycStatus,
  kyc_level: c.kycLevel,
  risk_rating: c.riskRating,
  risk_factors: c.riskFactors,
  version: c.version,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});

/** The keys personal data is sealed with (503 where they are not configured: never stored in the clear). */
const sealingOf = async (c: Context<AppEnv>) => requireSealing(await c.get("context").secretsAtRest());

export const listCustomers: RouteHandler<typeof routes.listCustomers, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await customers.listCustomers(tenantOf(c), await sealingOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    ...(q.kyc_status ? { kycStatus: q.kyc_status } : {}),
    ...(q.risk_rating ? { riskRating: q.risk_rating } : {}),
  });
  return c.json(pageBody(page, toCustomerView), 200);
};

export const createCustomer: RouteHandler<typeof routes.createCustomer, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const row = await customers.createCustomer(tenantOf(c), await sealingOf(c), c.get("context").files, {
    kind: body.kind,
    reference: body.reference ?? null,
    country: body.country,
    pep: body.pep,
    identity: body.identity,
  });
  return c.json(toCustomerView(row), 201);
};

export const getCustomer: RouteHandler<typeof routes.getCustomer, AppEnv> = async (c) => {
  const row = await customers.getCustomer(tenantOf(c), await sealingOf(c), c.req.valid("param").id);
  return c.json(toCustomerView(row), 200);
};

export const updateCustomer: RouteHandler<typeof routes.updateCustomer, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const files = c.get("context").files;
  const row = await customers.updateCustomer(
    tenantOf(c),
    await sealingOf(c),
    files,
    c.req.valid("param").id,
    {
      ...(body.reference !== undefined ? { reference: body.reference } : {}),
      ...(body.country !== undefined ? { country: body.country } : {}),
      ...(body.pep !== undefined ? { pep: body.pep } : {}),
      ...(body.kyc_status !== undefined ? { kycStatus: body.kyc_status } : {}),
      ...(body.kyc_level !== undefined ? { kycLevel: body.kyc_level } : {}),
      ...(body.identity !== undefined ? { identity: body.identity } : {}),
    },
  );
  return c.json(toCustomerView(row), 200);
};

export const customerHistory: RouteHandler<typeof routes.customerHistory, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await customers.customerHistory(tenantOf(c), c.req.valid("param").id, { limit, cursor });
  return c.json(pageBody(page, auditEventView), 200);
};
