import { FinEdgeProblem } from "../client/src/index.js";

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | boolean | undefined>;

/** An element with attributes (`true` sets a boolean attribute, `false`/`undefined` leaves it out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === true) element.setAttribute(name, "");
    else if (typeof value === "string") element.setAttribute(name, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

let ids = 0;
/** A unique element id. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled control: `<label for>` tied to the input by id. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLElement {
  control.id ||= uid("field");
  const wrapper = h("div", { class: "field" }, h("label", { for: control.id }, label), control);
  if (hint) {
    const hintId = uid("hint");
    control.setAttribute("aria-describedby", hintId);
    wrapper.append(h("p", { class: "hint", id: hintId }, hint));
  }
  return wrapper;
}

export function select(name: string, options: readonly string[], value?: string): HTMLSelectElement {
  const element = h("select", { name });
  for (const option of options) element.append(h("option", { value: option }, option));
  if (value !== undefined) element.value = value;
  return element;
}

/** Says something to screen readers (the page's polite live region). */
export function announce(message: string): void {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick is announced even when the message repeats.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** An error area (role="alert"): shows the API's problem detail, with its field errors. */
export function errorArea(): { element: HTMLElement; show(error: unknown): void; clear(): void } {
  const element = h("div", { class: "error", role: "alert", hidden: true });
  return {
    element,
    show(error) {
      element.replaceChildren();
      if (error instanceof FinEdgeProblem) {
        element.append(h("p", {}, error.detail || error.title));
        if (error.errors.length) {
          const list = h("ul");
          for (const item of error.errors) list.append(h("li", {}, `${item.pointer}: ${item.message}`));
          element.append(list);
        }
      } else element.append(h("p", {}, error instanceof Error ? error.message : String(error)));
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
      element.replaceChildren();
    },
  };
}

/** Runs `action` with the form's submit button disabled, showing any error in `errors`. */
export function onSubmit(
  form: HTMLFormElement,
  errors: ReturnType<typeof errorArea>,
  action: (data: FormData) => Promise<void>,
): void {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
    if (button) button.disabled = true;
    errors.clear();
    try {
      await action(new FormData(form));
    } catch (error) {
      errors.show(error);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/** A button that runs `action`, reporting failures in `errors`. */
export function button(
  label: string,
  action: () => Promise<void>,
  errors: ReturnType<typeof errorArea>,
  props: Props = {},
): HTMLButtonElement {
  const element = h("button", { type: "button", ...props }, label);
  element.addEventListener("click", async () => {
    element.disabled = true;
    errors.clear();
    try {
      await action();
    } catch (error) {
      errors.show(error);
    } finally {
      element.disabled = false;
    }
  });
  return element;
}

/** A table with a caption and column headers; `rows` are arrays of cells. */
export function table(caption: string, headers: string[], rows: Child[][]): HTMLTableElement {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))),
  );
}

export const formText = (data: FormData, name: string) => String(data.get(name) ?? "").trim();
