import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { authOf } from "../../middleware/authenticate";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { requireStepUp } from "../../services/auth/step-up-rule";
import { eraseUser } from "../../services/privacy/erasure";
import { exportPersonalData, openPersonalExport, type PersonalExport } from "../../services/privacy/export";
import type * as routes from "./personal-data.routes";

const exportView = (c: Context<AppEnv>, result: PersonalExport) => ({
  export_id: result.id,
  download_url: new URL(
    `/api/v1/personal-data/download?token=${encodeURIComponent(result.link.token)}`,
    c.req.url,
  ).toString(),
  expires_at: result.link.expiresAt.toISOString(),
  bytes: result.bytes,
  sha256: result.sha256,
});

const erasureView = (userId: string, result: Awaited<ReturnType<typeof eraseUser>>) => ({
  user_id: userId,
  status: "erased" as const,
  audit_events_redacted: result.redacted,
  security_events_deleted: result.securityEvents,
  sessions_ended: result.sessions,
});

export const exportOwnData: RouteHandler<typeof routes.exportOwnData, AppEnv> = async (c) => {
  const { userId } = authOf(c);
  return c.json(exportView(c, await exportPersonalData(tenantOf(c), contextOf(c), userId, null)), 201);
};

export const exportUserData: RouteHandler<typeof routes.exportUserData, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { request_reference } = c.req.valid("json");
  const result = await exportPersonalData(tenantOf(c), contextOf(c), id, request_reference);
  return c.json(exportView(c, result), 201);
};

export const eraseOwnData: RouteHandler<typeof routes.eraseOwnData, AppEnv> = async (c) => {
  const caller = authOf(c);
  const { confirm_email } = c.req.valid("json");
  const wanted = {
    userId: caller.userId,
    confirmEmail: confirm_email,
    reference: null,
    requireStepUp: () => requireStepUp(caller, new Date()),
  };
  return c.json(erasureView(caller.userId, await eraseUser(tenantOf(c), contextOf(c), wanted)), 200);
};

export const eraseUserData: RouteHandler<typeof routes.eraseUserData, AppEnv> = async (c) => {
  const caller = authOf(c);
  const { id } = c.req.valid("param");
  const { confirm_email, request_reference } = c.req.valid("json");
  const wanted = {
    userId: id,
    confirmEmail: confirm_email,
    reference: request_reference,
    requireStepUp: () => requireStepUp(caller, new Date()),
  };
  return c.json(erasureView(id, await eraseUser(tenantOf(c), contextOf(c), wanted)), 200);
};

export const downloadExport: RouteHandler<typeof routes.downloadExport, AppEnv> = async (c) => {
  const object = await openPersonalExport(contextOf(c), c.req.valid("query").token, new Date());
  return c.body(object.body, 200, {
    "Content-Type": "application/json",
    "Content-Disposition": 'attachment; filename="personal-data.json"',
  });
};
