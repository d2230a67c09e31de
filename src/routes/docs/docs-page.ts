import { DOCS_CDN } from "../../middleware/security-headers";

// Pinned renderer; the integrity hash is the sha384 of the npm package's dist/browser/standalone.js,
// which the CDN serves byte for byte - a changed file is refused by the browser.
const SCALAR_VERSION = "1.40.0";
const SCALAR_INTEGRITY = "sha384-u/N+3N6pIEeVXuHl0044cGfxEcIxJIqZ1ED0wZUypHj1v1mCDTc2rO1iVOo57KJD";

/** The docs page: no inline script (the CSP forbids it); the renderer reads the spec URL from a data attribute. */
export const docsHtml = (specUrl: string): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>FinEdge API reference</title>
</head>
<body>
  <noscript>The API reference needs JavaScript. The raw document is at <a href="${specUrl}">${specUrl}</a>.</noscript>
  <script id="api-reference" data-url="${specUrl}"></script>
  <script src="${DOCS_CDN}/npm/@scalar/api-reference@${SCALAR_VERSION}/dist/browser/standalone.js"
          integrity="${SCALAR_INTEGRITY}" crossorigin="anonymous"></script>
</body>
</html>
`;
