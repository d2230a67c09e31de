import type { FinEdgeClient } from "../../client/src/index.js";
import type { Me } from "../context.js";
import { errorArea, field, formText, h, onSubmit } from "../dom.js";

/** Email and password, then - when the account has two-factor authentication - the code from the app. */
export async function renderSignIn(
  root: HTMLElement,
  client: FinEdgeClient,
  done: (me: Me) => void,
  message?: string,
): Promise<void> {
  const errors = errorArea();
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const form = h(
    "form",
    { "aria-label": "Sign in" },
    field("Email", email),
    field("Password", password),
    h("button", { type: "submit" }, "Sign in"),
  );
  if (message) root.append(h("p", { class: "notice" }, message));
  root.append(errors.element, form);

  onSubmit(form, errors, async (data) => {
    const result = await client.auth.login({
      email: formText(data, "email"),
      password: String(data.get("password") ?? ""),
    });
    if (result.status === "signed_in") return done(result.user);
    showChallenge(root, client, result.mfaToken, done);
  });
}

function showChallenge(root: HTMLElement, client: FinEdgeClient, mfaToken: string, done: (me: Me) => void) {
  const errors = errorArea();
  const code = h("input", {
    type: "text",
    name: "code",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: "6",
    required: true,
  });
  const form = h(
    "form",
    { "aria-label": "Two-factor authentication" },
    h("h2", {}, "Two-factor authentication"),
    field("Authentication code", code, "The six digits your authenticator app shows now."),
    h("button", { type: "submit" }, "Verify"),
  );
  root.replaceChildren(errors.element, form);
  code.focus();
  onSubmit(form, errors, async (data) => {
    done(await client.auth.completeTwoFactor({ mfaToken, code: formText(data, "code") }));
  });
}
