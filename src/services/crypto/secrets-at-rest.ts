/**
 * The Worker's keys for secrets at rest, from its configuration, and the columns that hold sealed values.
 * A column added later that keeps a secret gets an entry in SEALED_COLUMNS (its context names the table,
 * the column and the row): the cron and `npm run secrets:encrypt` / `secrets:rotate` then cover it.
 */
import type { AppConfig } from "../../config";
import { customers, emailOutbox, tenantSsoSettings, users, webhookEndpoints } from "../../db/schema";
import { AppError } from "../../errors";
import { importPepperKeys, type PepperKeys } from "./peppered";
import { importSealingKeys, type SealingKeys } from "./sealed";

/** The encryption keys and the backup-code peppers; null when not configured (local development only). */
export interface SecretsAtRest {
  sealing: SealingKeys | null;
  pepper: PepperKeys | null;
}

/** Imports the configured rings (cached per parsed configuration). */
export async function loadSecretsAtRest(
  config: Pick<AppConfig, "SECRETS_ENCRYPTION_KEYS" | "BACKUP_CODE_PEPPER">,
): Promise<SecretsAtRest> {
  const [sealing, pepper] = await Promise.all([
    config.SECRETS_ENCRYPTION_KEYS ? importSealingKeys(config.SECRETS_ENCRYPTION_KEYS) : null,
    config.BACKUP_CODE_PEPPER ? importPepperKeys(config.BACKUP_CODE_PEPPER) : null,
  ]);
  return { sealing, pepper };
}

/**
 * The encryption keys, or 503: configuration refuses to start without them outside local development, so
 * only a local run started by hand can get here - and it must not store a secret in the clear instead.
 */
export function requireSealing(secrets: { sealing: SealingKeys | null }): SealingKeys {
  if (!secrets.sealing) {
    throw new AppError("service_unavailable", "Encryption keys for secrets at rest are not configured.");
  }
  return secrets.sealing;
}

/** The backup-code peppers, or 503 (see requireSealing). */
export function requirePepper(secrets: { pepper: PepperKeys | null }): PepperKeys {
  if (!secrets.pepper) {
    throw new AppError("service_unavailable", "The backup-code pepper is not configured.");
  }
  return secrets.pepper;
}

/** Associated data of a user's TOTP secret: the value opens only in this user's row. */
export const totpSecretContext = (userId: string) => `users.totp_secret:${userId}`;

/** Associated data of an e-mail body: the value opens only in this outbox row. */
export const outboxBodyContext = (messageId: string) => `email_outbox.body_text:${messageId}`;

/** Associated data of a customer's identity: the value opens only in this customer's row. */
export const customerIdentityContext = (customerId: string) => `customers.identity_sealed:${customerId}`;

/** Associated data of a tenant's OpenID client secret: the value opens only in this tenant's settings. */
export const oidcSecretContext = (tenantId: string) => `tenant_sso_settings.oidc_client_secret:${tenantId}`;

/** Associated data of a webhook endpoint's signing secret: the value opens only in this endpoint's row. */
export const webhookSecretContext = (endpointId: string) => `webhook_endpoints.secret_sealed:${endpointId}`;

/** Every column holding sealed values: its table, row id, value column and associated data. */
export const SEALED_COLUMNS = [
  {
    name: "users.totp_secret",
    table: users,
    id: users.id,
    value: users.totpSecret,
    context: totpSecretContext,
  },
  {
    name: "email_outbox.body_text",
    table: emailOutbox,
    id: emailOutbox.id,
    value: emailOutbox.bodyText,
    context: outboxBodyContext,
  },
  {
    name: "customers.identity_sealed",
    table: customers,
    id: customers.id,
    value: customers.identitySealed,
    context: customerIdentityContext,
  },
  {
    name: "tenant_sso_settings.oidc_client_secret",
    table: tenantSsoSettings,
    id: tenantSsoSettings.tenantId,
    value: tenantSsoSettings.oidcClientSecret,
    context: oidcSecretContext,
  },
  {
    name: "webhook_endpoints.secret_sealed",
    table: webhookEndpoints,
    id: webhookEndpoints.id,
    value: webhookEndpoints.secretSealed,
    context: webhookSecretContext,
  },
] as const;

export type SealedColumn = (typeof SEALED_COLUMNS)[number];
