/**
 * The console's one page: landmarks, a skip link and a live region; everything else is drawn by
 * /console/assets/console.js. No inline script or style (the page's CSP allows only this origin's files).
 */
export const consoleHtml = (): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>FinEdge console</title>
  <link rel="stylesheet" href="/console/assets/console.css">
  <script type="module" src="/console/assets/console.js"></script>
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="top">
    <p class="brand">FinEdge console</p>
    <nav id="nav" aria-label="Console sections" hidden></nav>
    <div id="account"></div>
  </header>
  <main id="main" tabindex="-1">
    <noscript>The console needs JavaScript.</noscript>
  </main>
  <div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>
`;
