import type { Context } from "hono";
import type { AppEnv, AuthContext } from "../../env";
import { AppError } from "../../errors";
import { clientOf, signingKeys } from "../../middleware/request-edge";
import type { AuthDeps } from "../../services/auth/context";
import { loadSecretsAtRest } from "../../services/crypto/secrets-at-rest";
import { createEmailSender } from "../../services/email/senders";

export { clientOf, signingKeys };

/** Builds the services' dependencies from the request's bindings. */
export async function authDeps(c: Context<AppEnv>): Promise<AuthDeps> {
  const { config } = c.var;
  const secrets = await loadSecretsAtRest(config);
  return {
    db: c.var.database.db,
    config,
    keys: await signingKeys(c),
    accountGuard: (key) => c.env.ACCOUNT_GUARD.get(c.env.ACCOUNT_GUARD.idFromName(key)),
    sessionAuthority: (userId) => c.env.SESSION_AUTHORITY.get(c.env.SESSION_AUTHORITY.idFromName(userId)),
    secrets,
    email: { sender: createEmailSender(config), sealing: secrets.sealing },
    now: () => new Date(),
  };
}

/** The authenticated caller; routes mounted behind `authenticate` always have one. */
export function authOf(c: Context<AppEnv>): AuthContext {
  const auth = c.var.auth;
  if (!auth) throw new AppError("unauthorized", "Authentication is required.");
  return auth;
}
