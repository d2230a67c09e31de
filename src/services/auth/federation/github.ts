/**
 * GitHub signs in over plain OAuth 2.0: no ID token, so the user is read from its API with the access token
 * just obtained - the account (`/user`: its immutable numeric id is the subject) and its primary address,
 * taken only if GitHub has verified it (`/user/emails`).
 */
import { z } from "zod";
import type { AppConfig } from "../../../config";
import { AppError } from "../../../errors";
import type { ExternalIdentity } from "./exchange";

const UserSchema = z.object({ id: z.number().int().positive() });
const EmailsSchema = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

async function fromApi<T>(config: AppConfig, path: string, accessToken: string, schema: z.ZodType<T>) {
  const response = await fetch(`${config.GITHUB_API_URL.replace(/\/$/, "")}${path}`, {
    headers: {
      authorization: `Bearer ${accessToken}`,
      accept: "application/vnd.github+json",
      "user-agent": "FinEdge",
      "x-github-api-version": "2022-11-28",
    },
  });
  if (!response.ok) {
    throw new AppError("federation_failed", "GitHub refused to tell who signed in.", {
      cause: new Error(`GitHub ${path} answered ${response.status}`),
    });
  }
  const parsed = schema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new AppError("federation_failed", "GitHub's answer was not understood.");
  return parsed.data;
}

/** The GitHub account behind an access token, with its verified primary address (if any). */
export async function gitHubUser(
  config: AppConfig,
  issuer: string,
  accessToken: string,
): Promise<ExternalIdentity> {
  const [user, emails] = await Promise.all([
    fromApi(config, "/user", accessToken, UserSchema),
    fromApi(config, "/user/emails", accessToken, EmailsSchema),
  ]);
  const primary = emails.find((entry) => entry.primary && entry.verified);
  return {
    issuer: issuer.replace(/\/$/, ""),
    subject: String(user.id),
    email: primary ? primary.email.toLowerCase() : null,
    emailVerified: primary !== undefined,
  };
}
