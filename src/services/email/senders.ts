/** Where rendered e-mails go: an HTTP provider in deployed environments, the log in local development. */
import { type LogLevel, log } from "../../logger";

/** One message as a sender sees it. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  bodyText: string;
  /** Lets the provider drop a retried duplicate (the outbox passes the row id). */
  idempotencyKey?: string;
}

/** Delivers one message or throws; the outbox records the failure and retries. */
export interface EmailSender {
  name: string;
  send(message: OutgoingEmail): Promise<void>;
}

/** Options of the HTTP provider sender. */
export interface HttpEmailSenderOptions {
  apiKey: string;
  /** `Name <address>` or a bare address, on a domain verified with the provider. */
  from: string;
  endpoint?: string;
  fetch?: typeof fetch;
  /** A provider that hangs must not hold a sign-in request open. */
  timeoutMs?: number;
}

export const DEFAULT_EMAIL_ENDPOINT = "https://api.resend.com/emails";

/** Sends through an HTTP API accepting Resend's `POST /emails` shape, authenticated with a bearer key. */
export function createHttpEmailSender(options: HttpEmailSenderOptions): EmailSender {
  const { apiKey, from, endpoint = DEFAULT_EMAIL_ENDPOINT, timeoutMs = 10_000 } = options;
  if (!apiKey) throw new Error("The e-mail sender needs an API key.");
  if (!from) throw new Error("The e-mail sender needs a from address.");
  if (!URL.canParse(endpoint)) throw new Error("The e-mail endpoint is not a valid URL.");
  // Called through a wrapper: workerd refuses a detached global fetch ("Illegal invocation").
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));

  return {
    name: "http",
    async send(message) {
      const headers: Record<string, string> = {
        Authorization: `Bearer ${apiKey}`,
        "Content-Type": "application/json",
      };
      if (message.idempotencyKey) headers["Idempotency-Key"] = message.idempotencyKey;
      const response = await fetchImpl(endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify({ from, to: [message.to], subject: message.subject, text: message.bodyText }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      // The provider's reason helps an operator (an unverified domain, a bad address); the key never leaves.
      const reason = (await response.text().catch(() => "")).replaceAll(apiKey, "[redacted]").slice(0, 300);
      throw new Error(`E-mail provider answered ${response.status}${reason ? `: ${reason}` : ""}`);
    },
  };
}

/** Receives one structured log record. */
export type EmailLogWriter = (fields: Record<string, unknown>) => void;

/**
 * Local development: one log line per message with the recipient and subject only. The body holds
 * single-use tokens, which never go to logs; the local mailbox route opens it from the outbox.
 */
export function createLogEmailSender(write: EmailLogWriter): EmailSender {
  return {
    name: "log",
    async send(message) {
      write({ message: "e-mail kept in the outbox (not sent)", to: message.to, subject: message.subject });
    },
  };
}

/** The part of the configuration that picks a sender. */
export interface EmailSenderConfig {
  ENVIRONMENT: string;
  EMAIL_API_KEY?: string | undefined;
  EMAIL_FROM?: string | undefined;
  EMAIL_ENDPOINT?: string | undefined;
  LOG_LEVEL?: LogLevel;
}

const LOCAL_ENVIRONMENTS = new Set(["development", "test"]);

/** The HTTP sender when an API key is set; the log sender locally; an error anywhere else. */
export function createEmailSender(config: EmailSenderConfig): EmailSender {
  if (config.EMAIL_API_KEY) {
    if (!config.EMAIL_FROM) throw new Error("EMAIL_FROM must be set together with EMAIL_API_KEY.");
    return createHttpEmailSender({
      apiKey: config.EMAIL_API_KEY,
      from: config.EMAIL_FROM,
      ...(config.EMAIL_ENDPOINT ? { endpoint: config.EMAIL_ENDPOINT } : {}),
    });
  }
  if (LOCAL_ENVIRONMENTS.has(config.ENVIRONMENT)) {
    const threshold = config.LOG_LEVEL ?? "info";
    return createLogEmailSender((fields) => log(threshold, "info", fields));
  }
  // Silently dropping security e-mail (resets, lockout alerts) in a deployed environment is worse than not starting.
  throw new Error(`EMAIL_API_KEY must be set in the ${config.ENVIRONMENT} environment to send e-mail.`);
}
