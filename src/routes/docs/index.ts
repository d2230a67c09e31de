import type { OpenAPIHono } from "@hono/zod-openapi";
import packageJson from "../../../package.json";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { createRouter } from "../../openapi";
import { docsAsset, docsPage, openApiDocument } from "./docs.routes";
import { docsHtml } from "./docs-page";

type OpenApiDocument = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;

/** `GET /openapi.json` (built once per isolate from `app`'s contracts), `GET /docs` and its renderer. */
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
    .openapi(docsPage, (c) => c.html(docsHtml("/openapi.json"), 200))
    .openapi(docsAsset, async (c) => {
      const { file } = c.req.valid("param");
      const asset = await c.env.ASSETS.fetch(new URL(`/docs/vendor/${file}`, c.req.url));
      if (!asset.ok) {
        await asset.body?.cancel();
        throw new AppError("not_found", "No such file.");
      }
      return new Response(asset.body, {
        headers: {
          "content-type": "text/javascript; charset=utf-8",
          "cache-control": "public, max-age=31536000, immutable",
        },
      });
    });
}
