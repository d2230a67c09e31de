import { ok } from "../../client/src/index.js";
import type { Context } from "../context.js";
import { announce, button, errorArea, h, select, table } from "../dom.js";

const ROLES = ["tenant_admin", "org_admin", "analyst", "viewer"] as const;
type Role = (typeof ROLES)[number] | "super_admin";

/** The tenant's users: change a role, disable or enable an account. */
export async function renderUsers(root: HTMLElement, { client, me }: Context): Promise<void> {
  const errors = errorArea();
  const list = h("div");
  root.append(errors.element, list);

  const draw = async () => {
    const page = await ok(client.api.GET("/api/v1/users", { params: { query: { limit: 100 } } }));
    const rows = page.items.map((user) => {
      const role = select("role", ROLES, user.role);
      role.setAttribute("aria-label", `Role of ${user.email}`);
      const apply = button(
        "Apply role",
        async () => {
          await ok(
            client.api.PATCH("/api/v1/users/{id}", {
              params: { path: { id: user.id } },
              body: { role: role.value as Role },
            }),
          );
          announce(`${user.email} is now ${role.value}.`);
          await draw();
        },
        errors,
        { "aria-label": `Apply role to ${user.email}` },
      );
      const next = user.status === "active" ? "disabled" : "active";
      const toggle = button(
        user.status === "active" ? "Disable" : "Enable",
        async () => {
          await ok(
            client.api.PATCH("/api/v1/users/{id}", {
              params: { path: { id: user.id } },
              body: { status: next },
            }),
          );
          announce(`${user.email} is ${next}.`);
          await draw();
        },
        errors,
        { "aria-label": `${user.status === "active" ? "Disable" : "Enable"} ${user.email}` },
      );
      const mine = user.id === me.id;
      if (mine) {
        role.disabled = true;
        apply.disabled = true;
        toggle.disabled = true;
      }
      const editable = user.status === "active" || user.status === "disabled";
      return [
        user.email,
        h("span", { class: "row-controls" }, role, apply),
        user.status,
        user.two_factor_enabled ? "on" : "off",
        editable ? toggle : "",
      ];
    });
    list.replaceChildren(table("Users of this tenant", ["Email", "Role", "Status", "2FA", "Access"], rows));
  };
  await draw();
}
