import { ok } from "../../client/src/index.js";
import type { Context } from "../context.js";
import { announce, button, errorArea, h, table } from "../dom.js";

/** Models and their versions: activate one; activating an earlier version is a rollback. */
export async function renderModels(root: HTMLElement, { client }: Context): Promise<void> {
  const errors = errorArea();
  const list = h("div");
  const outcome = h("p", { id: "model-outcome", "aria-live": "polite" });
  root.append(errors.element, outcome, list);

  const draw = async () => {
    const { items } = await ok(client.api.GET("/api/v1/models"));
    const sections = items.map((model) => {
      const order = model.versions.map((v) => v.version);
      const activeIndex = model.active_version ? order.indexOf(model.active_version) : -1;
      const rows = model.versions.map((version, index) => {
        const earlier =
          activeIndex >= 0 &&
          new Date(version.created_at) < new Date(model.versions[activeIndex]?.created_at ?? 0);
        const verb = earlier ? "Roll back to" : "Activate";
        return [
          version.version,
          version.kind,
          version.created_at.slice(0, 10),
          version.active ? h("strong", {}, "active") : "",
          version.active || index === activeIndex
            ? ""
            : button(
                earlier ? "Roll back" : "Activate",
                async () => {
                  const result = await ok(
                    client.api.POST("/api/v1/models/{name}/versions/{version}/activate", {
                      params: { path: { name: model.name, version: version.version } },
                    }),
                  );
                  const text = result.rolled_back
                    ? `${result.name} rolled back to ${result.active_version} (was ${result.previous_version}).`
                    : `${result.name} ${result.active_version} is active (was ${result.previous_version ?? "none"}).`;
                  outcome.textContent = text;
                  announce(text);
                  await draw();
                },
                errors,
                { "aria-label": `${verb} ${model.name} ${version.version}` },
              ),
        ];
      });
      return h(
        "section",
        { "aria-label": model.name },
        h("h2", {}, `${model.name} (${model.source})`),
        table(`Versions of ${model.name}`, ["Version", "Kind", "Published", "State", ""], rows),
      );
    });
    list.replaceChildren(...sections);
  };
  await draw();
}
