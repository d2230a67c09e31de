import { SCALAR } from "./vendored";

/**
 * The docs page: no inline script (the CSP forbids it) and nothing from another origin - the renderer is served
 * by this Worker from its static assets, its hash checked by the browser; it reads the spec URL from a data
 * attribute, and is told not to load its web fonts (the system's are used).
 */
export const docsHtml = (specUrl: string): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>FinEdge API reference</title>
</head>
<body>
  <noscript>The API reference needs JavaScript. The raw document is at <a href="${specUrl}">${specUrl}</a>.</noscript>
  <script id="api-reference" data-url="${specUrl}" data-configuration='{"withDefaultFonts":false}'></script>
  <script src="/${SCALAR.path}" integrity="${SCALAR.integrity}"></script>
</body>
</html>
`;
