import { OpenAPIHono } from "@hono/zod-openapi";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { AppEnv } from "./env";
import { AppError, renderProblem } from "./errors";
import { bodyLimit } from "./middleware/body-limit";
import { configuration } from "./middleware/configuration";
import { cors } from "./middleware/cors";
import { csrf } from "./middleware/csrf";
import { database } from "./middleware/database";
import { deadline } from "./middleware/deadline";
import { jsonBody } from "./middleware/json-body";
import { metrics } from "./middleware/metrics";
import { handleError, handleNotFound, validationHook } from "./middleware/problems";
import { rateLimit } from "./middleware/rate-limit";
import { requestContext } from "./middleware/request-context";
import { requestId } from "./middleware/request-id";
import { requestLog } from "./middleware/request-log";
import { securityHeaders } from "./middleware/security-headers";
import { urlGuard } from "./middleware/url-guard";
import { apiKeyRoutes } from "./routes/api-keys";
import { assetRoutes } from "./routes/assets";
import { auditRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { companyRoutes } from "./routes/companies";
import { sanctionsRoutes } from "./routes/compliance";
import { complianceCaseRoutes } from "./routes/compliance/cases-index";
import { consoleRoutes } from "./routes/console";
import { ctrRoutes } from "./routes/ctrs";
import { customerRoutes } from "./routes/customers";
import { devRoutes } from "./routes/dev";
import { docsRoutes } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { identityVerificationRoutes } from "./routes/identity-verifications";
import { invitationRoutes } from "./routes/invitations";
import { jobRoutes } from "./routes/jobs";
import { modelRoutes } from "./routes/models";
import { moneyCheckRoutes } from "./routes/money-checks";
import { organizationRoutes } from "./routes/organizations";
import { portfolioRoutes } from "./routes/portfolios";
import { predictionRoutes } from "./routes/predictions";
import { priceRoutes } from "./routes/prices";
import { privacyRoutes } from "./routes/privacy";
import { securityEventRoutes } from "./routes/security-events";
import { tenantRoutes } from "./routes/tenants";
import { userRoutes } from "./routes/users";
import { webhookRoutes } from "./routes/webhooks";
import { wellKnownRoutes } from "./routes/well-known";

/**
 * Builds the application. Middleware order is deliberate:
 * 1. request id - first, so every later line and response (errors included) carries it;
 * 2. request log and metrics - wrap everything below, so they see the final status and duration;
 * 3. security headers and CORS - applied to every response, preflights answered here;
 * 4. configuration - a misconfigured Worker refuses to serve (503) before doing any work;
 * 5. 405 detection - turns the not-found answer for a known path into 405 with `Allow`;
 * 6. rate limit - anonymous endpoints by client address here, authenticated ones per user in `authenticate`;
 * 7. deadline, then body limit, then JSON body - cheap refusals before any handler runs;
 * 8. database - opened lazily, closed after the response;
 * 9. request context - the services' dependencies, built once; authentication adds the caller to it.
 */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(requestId());
  app.use(requestLog());
  app.use(metrics());
  app.use(securityHeaders());
  app.use(configuration());
  app.use(cors());
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        renderProblem(
          c,
          new AppError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}.`, {
            headers: { Allow: methods.join(", ") },
          }),
        ),
    }),
  );
  app.use(urlGuard());
  app.use(rateLimit(app));
  app.use(deadline());
  // Bulk scoring files (CSV, NDJSON) are streamed to R2; model and sanctions list uploads are multipart: their
  // routes read them.
  app.use(bodyLimit({ streamed: ["/api/v1/predictions/bulk"] }));
  app.use(
    jsonBody({
      except: ["/api/v1/predictions/bulk", "/api/v1/models", "/api/v1/compliance/sanctions-lists"],
    }),
  );
  app.use(csrf());
  app.use(database());
  app.use(requestContext());

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT (EdDSA, typ at+jwt) or an API key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "providerSignature", {
    type: "apiKey",
    in: "header",
    name: "X-Signature",
    description: "The verification provider's HMAC-SHA256 signature of its callback (timestamp and body).",
  });
  app.route("/", healthRoutes);
  app.route("/", wellKnownRoutes);
  app.route("/", authRoutes);
  app.route("/", apiKeyRoutes);
  app.route("/", auditRoutes);
  app.route("/", userRoutes);
  app.route("/", privacyRoutes);
  app.route("/", invitationRoutes);
  app.route("/", securityEventRoutes);
  app.route("/", organizationRoutes);
  app.route("/", tenantRoutes);
  app.route("/", assetRoutes);
  app.route("/", priceRoutes);
  app.route("/", portfolioRoutes);
  app.route("/", companyRoutes);
  app.route("/", customerRoutes);
  app.route("/", identityVerificationRoutes);
  app.route("/", webhookRoutes);
  app.route("/", moneyCheckRoutes);
  app.route("/", ctrRoutes);
  app.route("/", sanctionsRoutes);
  app.route("/", complianceCaseRoutes);
  app.route("/", predictionRoutes);
  app.route("/", jobRoutes);
  app.route("/", modelRoutes);
  app.route("/", devRoutes);
  app.route("/", docsRoutes(app));
  app.route("/", consoleRoutes());

  app.notFound(handleNotFound);
  app.onError(handleError);
  return app;
}
