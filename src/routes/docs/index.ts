import type { OpenAPIHono } from "@hono/zod-openapi";
import packageJson from "../../../package.json";
import type { AppEnv } from "../../env";
import { createRouter } from "../../openapi";
import { docsPage, openApiDocument } from "./docs.routes";
import { docsHtml } from "./docs-page";

type OpenApiDocument = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;

/** `GET /openapi.json` (built once per isolate from `app`'s contracts) and `GET /docs`. */
export function docsRoutes(app: OpenAPIHono<AppEnv>) {
  let document: OpenApiDocument | undefined;
  return createRouter()
    .openapi(openApiDocument, (c) => {
      document ??= app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "FinEdge API",
          version: packageJson.version,
          description:
            "Multi-tenant financial API at the edge: identity, tenancy, portfolios and risk scoring. " +
            "Every error is an RFC 9457 problem document (`application/problem+json`).",
        },
        servers: [{ url: "/" }],
      });
      return c.json(document, 200);
    })
    .openapi(docsPage, (c) => c.html(docsHtml("/openapi.json"), 200));
}
