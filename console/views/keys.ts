import { type components, ok } from "../../client/src/index.js";
import type { Context } from "../context.js";
import { announce, button, errorArea, field, formText, h, onSubmit, table } from "../dom.js";

type Scope = components["schemas"]["ApiKey"]["scopes"][number];
const SCOPES: Scope[] = [
  "portfolios:read",
  "portfolios:write",
  "predictions:read",
  "predictions:write",
  "jobs:read",
  "jobs:write",
  "audit:read",
];

/** API keys: list, create (the secret shown once, after a step-up) and revoke. */
export async function renderKeys(root: HTMLElement, { client, me }: Context): Promise<void> {
  const errors = errorArea();
  const list = h("div");
  const secret = h("div", { "aria-live": "polite" });

  const scopes = h("fieldset", {}, h("legend", {}, "Scopes"));
  for (const scope of SCOPES) {
    const box = h("input", { type: "checkbox", name: "scopes", value: scope, id: `scope-${scope}` });
    scopes.append(h("div", { class: "check" }, box, h("label", { for: box.id }, scope)));
  }
  const confirm = h("input", {
    type: "password",
    name: "confirm",
    autocomplete: me.two_factor_enabled ? "one-time-code" : "current-password",
    required: true,
  });
  const form = h(
    "form",
    { "aria-label": "Create an API key" },
    h("h2", {}, "Create a key"),
    field("Name", h("input", { type: "text", name: "name", required: true, maxlength: "100" })),
    scopes,
    field(
      me.two_factor_enabled ? "Authentication or backup code" : "Your password",
      confirm,
      "Creating a key needs you to confirm it is you.",
    ),
    h("button", { type: "submit" }, "Create key"),
  );
  root.append(errors.element, form, secret, list);

  const draw = async () => {
    const page = await ok(client.api.GET("/api/v1/api-keys", { params: { query: { limit: 100 } } }));
    const rows = page.items.map((key) => [
      key.name,
      h("code", {}, `${key.prefix}…`),
      key.scopes.join(", "),
      key.last_used_at ?? "never",
      button(
        "Revoke",
        async () => {
          // 204: nothing to read; a refusal is thrown as a FinEdgeProblem.
          await client.api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id: key.id } } });
          announce(`Key ${key.name} revoked.`);
          secret.replaceChildren();
          await draw();
        },
        errors,
        { "aria-label": `Revoke key ${key.name}` },
      ),
    ]);
    list.replaceChildren(table("Active API keys", ["Name", "Prefix", "Scopes", "Last used", ""], rows));
  };

  onSubmit(form, errors, async (data) => {
    const proof = String(data.get("confirm") ?? "");
    await ok(
      client.api.POST("/api/v1/auth/step-up", {
        body: me.two_factor_enabled ? { code: proof.trim() } : { password: proof },
      }),
    );
    const created = await ok(
      client.api.POST("/api/v1/api-keys", {
        body: {
          name: formText(data, "name"),
          scopes: data.getAll("scopes").map(String) as Scope[],
        },
      }),
    );
    form.reset();
    const value = h("output", { class: "secret", id: "new-key-secret" }, created.key);
    secret.replaceChildren(
      h(
        "div",
        { class: "notice", role: "region", "aria-label": "New key" },
        h("p", {}, `Key ${created.name} created. Copy the secret now: it is not shown again.`),
        value,
      ),
    );
    announce(`Key ${created.name} created; its secret is shown once.`);
    await draw();
  });
  await draw();
}
