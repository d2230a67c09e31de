import { ok } from "../../client/src/index.js";
import type { Context } from "../context.js";
import { announce, button, errorArea, field, formText, h, onSubmit, select, table } from "../dom.js";

const ROLES = ["tenant_admin", "org_admin", "analyst", "viewer"] as const;

/** Invitations: who was invited, invite an address, revoke an open invitation. */
export async function renderInvitations(root: HTMLElement, { client }: Context): Promise<void> {
  const errors = errorArea();
  const list = h("div");
  const form = h(
    "form",
    { "aria-label": "Invite someone" },
    h("h2", {}, "Invite someone"),
    field("Email address", h("input", { type: "email", name: "email", required: true })),
    field(
      "Role",
      select("role", ROLES, "tenant_admin"),
      "Organization roles apply tenant-wide only when given by a tenant admin.",
    ),
    h("button", { type: "submit" }, "Send invitation"),
  );
  root.append(errors.element, form, list);

  const draw = async () => {
    const page = await ok(client.api.GET("/api/v1/invitations", { params: { query: { limit: 100 } } }));
    const rows = page.items.map((invitation) => [
      invitation.email,
      invitation.role,
      invitation.status,
      invitation.expires_at.slice(0, 10),
      invitation.status === "pending"
        ? button(
            "Revoke",
            async () => {
              await client.api.DELETE("/api/v1/invitations/{id}", {
                params: { path: { id: invitation.id } },
              });
              announce(`Invitation of ${invitation.email} revoked.`);
              await draw();
            },
            errors,
            { "aria-label": `Revoke invitation of ${invitation.email}` },
          )
        : "",
    ]);
    list.replaceChildren(table("Invitations", ["Email", "Role", "Status", "Expires", ""], rows));
  };

  onSubmit(form, errors, async (data) => {
    const invited = await ok(
      client.api.POST("/api/v1/invitations", {
        body: { email: formText(data, "email"), role: formText(data, "role") as (typeof ROLES)[number] },
      }),
    );
    form.reset();
    announce(`Invitation sent to ${invited.email}.`);
    await draw();
  });
  await draw();
}
