import { ok } from "../../client/src/index.js";
import type { Context } from "../context.js";
import { announce, button, errorArea, h, table } from "../dom.js";

/** The tenant's audit trail, newest first, and a one-click check of its hash chain. */
export async function renderAudit(root: HTMLElement, { client }: Context): Promise<void> {
  const errors = errorArea();
  const verdict = h("div", { id: "audit-verdict", "aria-live": "polite" });
  const verify = button(
    "Verify the chain",
    async () => {
      verdict.textContent = "Checking…";
      const result = await ok(client.api.GET("/api/v1/audit-events/verify"));
      const text = result.valid
        ? `Chain verified: ${result.checked} events intact.`
        : `Chain broken at event ${result.first_break?.seq} (${result.first_break?.reason}) after ${result.checked} events.`;
      verdict.replaceChildren(h("p", { class: result.valid ? "ok" : "error" }, text));
      verdict.dataset.valid = String(result.valid);
      announce(text);
    },
    errors,
  );
  const page = await ok(client.api.GET("/api/v1/audit-events", { params: { query: { limit: 50 } } }));
  const rows = page.items.map((event) => [
    String(event.seq),
    event.created_at.replace("T", " ").slice(0, 19),
    event.action,
    `${event.resource_type}${event.resource_id ? ` ${event.resource_id.slice(0, 8)}` : ""}`,
    event.actor_type,
    h("code", {}, event.hash.slice(0, 12)),
  ]);
  root.append(
    errors.element,
    h("div", { class: "toolbar" }, verify),
    verdict,
    table("The 50 newest events", ["#", "When (UTC)", "Action", "Resource", "Actor", "Hash"], rows),
  );
}
