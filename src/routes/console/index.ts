import { AppError } from "../../errors";
import { createRouter } from "../../openapi";
import { consoleAsset, consolePage } from "./console.routes";
import { consoleHtml } from "./console-page";

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** `GET /console` and its files, read from the Worker's static assets (public/console/, built by npm ci). */
export function consoleRoutes() {
  return createRouter()
    .openapi(consolePage, (c) => c.html(consoleHtml(), 200))
    .openapi(consoleAsset, async (c) => {
      const { file } = c.req.valid("param");
      const asset = await c.env.ASSETS.fetch(new URL(`/console/${file}`, c.req.url));
      if (!asset.ok) {
        await asset.body?.cancel();
        throw new AppError("not_found", "No such file.");
      }
      // Not versioned by name: the browser keeps nothing (the security headers' default no-store).
      return new Response(asset.body, {
        headers: { "content-type": TYPES[file.slice(file.lastIndexOf(".") + 1)] as string },
      });
    });
}
