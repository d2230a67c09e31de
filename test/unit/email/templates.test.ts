import { describe, expect, it } from "vitest";
import { EMAIL_TEMPLATES, type EmailData, renderEmail } from "../../../src/services/email/templates";

const at = new Date("2025-03-04T05:06:07Z");
const link = { appUrl: "https://app.example/", token: "tok+en/=1", expiresInMinutes: 30 };
const sample: { [T in keyof EmailData]: EmailData[T] } = {
  verify_email: link,
  password_reset: link,
  magic_link: link,
  new_device: { userAgent: "Firefox 128 on Linux", ip: "203.0.113.9", country: "DE", city: "Berlin", at },
  account_locked: { until: at },
  mfa_enabled: { at },
  mfa_disabled: { at },
  password_changed: { at },
  change_email: link,
  email_change_requested: { at, newEmail: "new@example.com" },
  mfa_reset: { at },
  webhook_disabled: { url: "https://hooks.example/finedge", failingSince: at, at },
  invitation: {
    ...link,
    tenantName: "Acme Capital",
    organizationName: "Risk desk",
    role: "analyst",
    expiresAt: at,
  },
};

describe("renderEmail", () => {
  it.each(EMAIL_TEMPLATES)("%s says what happened and what to do if it was not you", (template) => {
    const { subject, bodyText } = renderEmail(template, sample[template] as never);
    expect(subject.length).toBeGreaterThan(5);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(bodyText).toMatch(/if (this was not you|you did not|these attempts were not yours)/i);
    // Only the URL-encoded form may appear: a raw token with "+" or "/" would break the link.
    expect(bodyText).not.toContain(link.token);
  });

  it.each([
    ["verify_email", "verify-email"],
    ["password_reset", "reset-password"],
    ["magic_link", "magic-link"],
    ["change_email", "confirm-email-change"],
  ] as const)("%s links to /%s with the token URL-encoded, once, and its lifetime", (template, path) => {
    const { bodyText } = renderEmail(template, link);
    const url = `https://app.example/${path}?token=tok%2Ben%2F%3D1`;
    expect(bodyText).toContain(url);
    expect(bodyText.split(url)).toHaveLength(2);
    expect(bodyText).toContain("expires in 30 minutes");
  });

  it("invitation links to /accept-invitation with the token URL-encoded, names the place and role, and its expiry", () => {
    const { bodyText } = renderEmail("invitation", sample.invitation);
    const url = "https://app.example/accept-invitation?token=tok%2Ben%2F%3D1";
    expect(bodyText).toContain(url);
    expect(bodyText.split(url)).toHaveLength(2);
    expect(bodyText).toContain("join Acme Capital on FinEdge as analyst in Risk desk.");
    expect(bodyText).toContain("expires at 2025-03-04 05:06 UTC");
  });

  it("cannot be made to forge lines through a tenant or organization name", () => {
    const { bodyText } = renderEmail("invitation", {
      ...sample.invitation,
      tenantName: "Acme\r\n\r\nClick https://evil.example",
      organizationName: null,
    });
    expect(bodyText.split("\n").filter((line) => line.includes("evil.example"))).toHaveLength(1);
    expect(bodyText).toContain("join Acme Click https://evil.example on FinEdge as analyst.");
  });

  it("gives every template a different subject", () => {
    const subjects = EMAIL_TEMPLATES.map((t) => renderEmail(t, sample[t] as never).subject);
    expect(new Set(subjects).size).toBe(EMAIL_TEMPLATES.length);
  });

  it("shows times in UTC, from a Date or an ISO string", () => {
    expect(renderEmail("password_changed", { at }).bodyText).toContain("2025-03-04 05:06 UTC");
    expect(renderEmail("mfa_disabled", { at: "2025-03-04T05:06:07.000Z" }).bodyText).toContain(
      "2025-03-04 05:06 UTC",
    );
    expect(renderEmail("account_locked", { until: at }).bodyText).toContain(
      "unlocks by itself at 2025-03-04 05:06 UTC",
    );
  });

  it("describes a new device, and cannot be made to forge lines through the user agent", () => {
    const { bodyText } = renderEmail("new_device", {
      ...sample.new_device,
      userAgent: "Evil\r\n\r\nAll is fine, click https://evil.example\u2028now",
    });
    expect(bodyText).toContain("Location: Berlin, DE");
    expect(bodyText).toContain("IP:       203.0.113.9");
    expect(bodyText).toContain("When:     2025-03-04 05:06 UTC");
    const deviceLine = bodyText.split("\n").find((line) => line.startsWith("Device:"));
    expect(deviceLine).toBe("Device:   Evil All is fine, click https://evil.example now");
    expect(bodyText.split("\n").filter((line) => line.includes("evil.example"))).toHaveLength(1);
  });

  it("caps a long user agent and names unknown fields", () => {
    const { bodyText } = renderEmail("new_device", { userAgent: "x".repeat(5000), ip: null, at });
    expect(bodyText).not.toContain("x".repeat(161));
    expect(bodyText).toContain("IP:       unknown");
    expect(bodyText).toContain("Location: unknown, unknown");
  });
});
