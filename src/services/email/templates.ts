/** Plain-text account-security e-mails: what happened, and what to do if it was not you. Never a password. */
export const EMAIL_TEMPLATES = [
  "verify_email",
  "password_reset",
  "magic_link",
  "new_device",
  "account_locked",
  "mfa_enabled",
  "mfa_disabled",
  "password_changed",
  "invitation",
  "change_email",
  "email_change_requested",
  "mfa_reset",
  "webhook_disabled",
] as const;

/** One kind of message; stored in `email_outbox.template`. */
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/** A single-use link: the token goes into `${appUrl}/<path>?token=...`. */
export interface LinkData {
  appUrl: string;
  token: string;
  /** When given, the message says how long the link stays valid. */
  expiresInMinutes?: number;
}

/** A point in time: a Date or an ISO 8601 string. */
export type Instant = Date | string;

/** An invitation link: who invites to what, with which role, until when. Names are chosen by tenants. */
export interface InvitationData {
  appUrl: string;
  token: string;
  tenantName: string;
  organizationName?: string | null;
  role: string;
  expiresAt: Instant;
}

/** The device a sign-in came from; every field but the time is client-supplied or may be unknown. */
export interface DeviceData {
  userAgent?: string | null;
  ip?: string | null;
  country?: string | null;
  city?: string | null;
  at: Instant;
}

/** The data each template needs. */
export interface EmailData {
  verify_email: LinkData;
  password_reset: LinkData;
  magic_link: LinkData;
  new_device: DeviceData;
  account_locked: { until: Instant };
  mfa_enabled: { at: Instant };
  mfa_disabled: { at: Instant };
  password_changed: { at: Instant };
  invitation: InvitationData;
  change_email: LinkData;
  email_change_requested: { at: Instant; newEmail: string };
  mfa_reset: { at: Instant };
  webhook_disabled: { url: string; failingSince: Instant; at: Instant };
}

/** A rendered message, ready for the outbox. */
export interface RenderedEmail {
  subject: string;
  bodyText: string;
}

const SIGN_OFF = "- FinEdge Security";
const NOT_YOU_COMPROMISED =
  "If this was not you, someone else may have access to your account: reset your password at once, " +
  "then contact your administrator.";

/**
 * The user agent is chosen by whoever signed in, possibly an attacker: control characters and newlines
 * would let it forge lines of the message, so they become spaces and the length is capped.
 */
const clientText = (value: string | null | undefined, max = 160): string => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point.
  const flat = (value ?? "").replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
  if (!flat) return "unknown";
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
};

/** Minutes precision in UTC: readable everywhere, with no locale data in the Worker. */
const formatTime = (at: Instant): string => {
  const date = typeof at === "string" ? new Date(at) : at;
  // An unparsable time must not stop an alert from going out; it is shown as given.
  if (Number.isNaN(date.getTime())) return clientText(String(at), 40);
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
};

const body = (...lines: string[]): string => `${[...lines, "", SIGN_OFF].join("\n")}\n`;

/** The three link messages share a shape: what the link does, the link, its validity, and what if not you. */
const linkEmail =
  (subject: string, intro: string, path: string, notYou: string) =>
  (data: LinkData): RenderedEmail => {
    const url = `${data.appUrl.replace(/\/+$/, "")}/${path}?token=${encodeURIComponent(data.token)}`;
    const validity = data.expiresInMinutes
      ? [`The link works once and expires in ${data.expiresInMinutes} minutes.`]
      : ["The link works once."];
    return { subject, bodyText: body(intro, "", url, "", ...validity, notYou) };
  };

const renderers: { [T in EmailTemplate]: (data: EmailData[T]) => RenderedEmail } = {
  verify_email: linkEmail(
    "Confirm your e-mail address",
    "Confirm this e-mail address for your FinEdge account by opening this link:",
    "verify-email",
    "If you did not create a FinEdge account, ignore this message: the address stays unconfirmed.",
  ),
  password_reset: linkEmail(
    "Reset your password",
    "Someone asked to reset the password of your FinEdge account. To choose a new one, open this link:",
    "reset-password",
    "If this was not you, ignore this message: your password stays as it is. Never share this link.",
  ),
  magic_link: linkEmail(
    "Your sign-in link",
    "Open this link to sign in to FinEdge:",
    "magic-link",
    "If you did not try to sign in, ignore this message and the link expires unused. Never forward it.",
  ),
  new_device: (data) => ({
    subject: "New sign-in to your account",
    bodyText: body(
      "Your FinEdge account was signed in to from a device we had not seen before.",
      "",
      `When:     ${formatTime(data.at)}`,
      `Device:   ${clientText(data.userAgent)}`,
      `Location: ${[data.city, data.country].map((part) => clientText(part, 60)).join(", ")}`,
      `IP:       ${clientText(data.ip, 45)}`,
      "",
      "If this was you, there is nothing to do.",
      "If this was not you, reset your password at once and turn on two-factor authentication.",
    ),
  }),
  account_locked: (data) => ({
    subject: "Your account is locked",
    bodyText: body(
      "Your FinEdge account was locked after too many failed sign-in attempts.",
      `It unlocks by itself at ${formatTime(data.until)}.`,
      "",
      "If these attempts were not yours, someone may be guessing your password: once it unlocks, reset your " +
        "password and turn on two-factor authentication.",
    ),
  }),
  mfa_enabled: (data) => ({
    subject: "Two-factor authentication is on",
    bodyText: body(
      `Two-factor authentication was turned on for your FinEdge account at ${formatTime(data.at)}.`,
      "",
      NOT_YOU_COMPROMISED,
    ),
  }),
  mfa_disabled: (data) => ({
    subject: "Two-factor authentication is off",
    bodyText: body(
      `Two-factor authentication was turned off for your FinEdge account at ${formatTime(data.at)}.`,
      "Your account is now protected by your password alone.",
      "",
      NOT_YOU_COMPROMISED,
    ),
  }),
  password_changed: (data) => ({
    subject: "Your password was changed",
    bodyText: body(
      `The password of your FinEdge account was changed at ${formatTime(data.at)}.`,
      "",
      NOT_YOU_COMPROMISED,
    ),
  }),
  change_email: linkEmail(
    "Confirm your new e-mail address",
    "Someone asked to make this the e-mail address of a FinEdge account. To confirm it, open this link while signed in:",
    "confirm-email-change",
    "If you did not ask for this, ignore this message: the address is not changed unless the link is used.",
  ),
  email_change_requested: (data) => ({
    subject: "Your e-mail address is about to change",
    bodyText: body(
      `At ${formatTime(data.at)} someone asked to change the e-mail address of your FinEdge account to ` +
        `${clientText(data.newEmail, 254)}. It changes once a link sent there is confirmed.`,
      "",
      NOT_YOU_COMPROMISED,
    ),
  }),
  mfa_reset: (data) => ({
    subject: "Your two-factor authentication was reset",
    bodyText: body(
      `An administrator of your organisation reset the two-factor authentication of your FinEdge account at ${formatTime(data.at)}.`,
      "Your authenticator and backup codes no longer work, and you were signed out everywhere. Sign in with " +
        "your password and turn two-factor authentication on again.",
      "",
      NOT_YOU_COMPROMISED,
    ),
  }),
  // The URL is a tenant admin's: flattened like any client-supplied text.
  webhook_disabled: (data) => ({
    subject: "A webhook endpoint was disabled",
    bodyText: body(
      `FinEdge disabled your organisation's webhook endpoint ${clientText(data.url, 300)} at ${formatTime(data.at)}: ` +
        `every delivery to it has failed since ${formatTime(data.failingSince)}.`,
      "Events are no longer sent to it. Fix the receiver, then enable the endpoint again and redeliver what it " +
        "missed from its delivery log.",
      "",
      "If you did not expect this, check who changed the receiver or its certificate.",
    ),
  }),
  // Tenant and organization names are typed by tenant admins: flattened like any client-supplied text.
  invitation: (data) => ({
    subject: "You are invited to FinEdge",
    bodyText: body(
      `You are invited to join ${clientText(data.tenantName, 100)} on FinEdge as ${clientText(data.role, 40)}` +
        (data.organizationName ? ` in ${clientText(data.organizationName, 100)}.` : "."),
      "To accept, open this link:",
      "",
      `${data.appUrl.replace(/\/+$/, "")}/accept-invitation?token=${encodeURIComponent(data.token)}`,
      "",
      `The link works once and expires at ${formatTime(data.expiresAt)}.`,
      "If you did not expect this invitation, ignore this message: nothing happens unless the link is used.",
    ),
  }),
};

/** Renders one template with its data into a subject and a plain-text body. */
export function renderEmail<T extends EmailTemplate>(template: T, data: EmailData[T]): RenderedEmail {
  return renderers[template](data);
}
