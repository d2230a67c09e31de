import { createFinEdgeClient, memoryTokenStore, ok } from "../client/src/index.js";
import type { Context, Me, View } from "./context.js";
import { announce, h } from "./dom.js";
import { renderAudit } from "./views/audit.js";
import { renderInvitations } from "./views/invitations.js";
import { renderJobs } from "./views/jobs.js";
import { renderKeys } from "./views/keys.js";
import { renderModels } from "./views/models.js";
import { renderPortfolios } from "./views/portfolios.js";
import { renderSignIn } from "./views/sign-in.js";
import { renderUsers } from "./views/users.js";

const VIEWS: Record<string, { title: string; render: View }> = {
  users: { title: "Users and roles", render: renderUsers },
  keys: { title: "API keys", render: renderKeys },
  invitations: { title: "Invitations", render: renderInvitations },
  audit: { title: "Audit trail", render: renderAudit },
  jobs: { title: "Bulk jobs", render: renderJobs },
  models: { title: "Models", render: renderModels },
  portfolios: { title: "Portfolios", render: renderPortfolios },
};

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const account = document.getElementById("account") as HTMLElement;

// Cookie mode: the refresh token is an HttpOnly cookie, the access token stays in this page's memory.
const client = createFinEdgeClient({
  baseUrl: location.origin,
  tokenDelivery: "cookie",
  tokens: memoryTokenStore(),
  // Only a session this page held can end; a first visit without one just shows the sign-in.
  onSessionEnd: () => {
    if (context) showSignIn("Your session ended. Sign in again.");
  },
});
let context: Context | undefined;

/** Puts a view under a fresh heading and moves focus to it, so keyboard and screen-reader users land there. */
function showView(title: string, render: (root: HTMLElement) => Promise<void>): void {
  const heading = h("h1", { tabindex: "-1" }, title);
  const root = h("div", { class: "view" });
  main.replaceChildren(heading, root);
  document.title = `${title} - FinEdge console`;
  heading.focus();
  render(root).catch((error: unknown) => {
    root.append(
      h("p", { class: "error", role: "alert" }, error instanceof Error ? error.message : "Failed."),
    );
  });
}

function showSignIn(message?: string): void {
  context = undefined;
  nav.hidden = true;
  account.replaceChildren();
  if (location.hash) history.replaceState(null, "", location.pathname);
  showView("Sign in", (root) => renderSignIn(root, client, signedIn, message));
}

function signedIn(me: Me): void {
  context = { client, me };
  nav.hidden = false;
  const out = h("button", { type: "button" }, "Sign out");
  out.addEventListener("click", async () => {
    await client.auth.logout().catch(() => {});
    showSignIn("Signed out.");
  });
  account.replaceChildren(h("span", {}, me.email), out);
  announce(`Signed in as ${me.email}`);
  // A reload stays on its view; a fresh sign-in starts with the users.
  if (Object.hasOwn(VIEWS, location.hash.replace(/^#\//, ""))) route();
  else location.hash = "#/users";
}

function route(): void {
  if (!context) return;
  const asked = location.hash.replace(/^#\//, "");
  const name = Object.hasOwn(VIEWS, asked) ? asked : "users";
  const view = VIEWS[name];
  if (!view) return;
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const signedInContext = context;
  showView(view.title, (root) => view.render(root, signedInContext));
}

nav.append(
  h(
    "ul",
    {},
    ...Object.entries(VIEWS).map(([name, view]) => h("li", {}, h("a", { href: `#/${name}` }, view.title))),
  ),
);
window.addEventListener("hashchange", route);

// After a reload the refresh cookie may still hold a session: take it up without asking again.
client.auth
  .refresh()
  .then(async () => signedIn(await ok(client.api.GET("/api/v1/auth/me"))))
  .catch(() => showSignIn());
