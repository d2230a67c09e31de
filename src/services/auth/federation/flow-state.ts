/**
 * A sign-in's state between its start and the provider's answer, kept by nobody but the browser: sealed
 * (AES-256-GCM under the secrets-at-rest ring, bound to its purpose) into the OAuth `state` parameter, so
 * starting costs no database write. It carries the PKCE verifier and nonce toward the provider, who asked
 * (tenant; the signed-in user when linking), where the answer goes, and the hash of a value set as an HttpOnly
 * cookie on the browser that started it: an answer arriving in another browser (login CSRF, RFC 9700 s4.7)
 * is refused. It lives ten minutes; the provider's code is single-use, so a replayed answer fails there.
 */
import { z } from "zod";
import { FEDERATED_PROVIDERS } from "../../../db/schema";
import { AppError } from "../../../errors";
import { open, SealedValueError, type SealingKeys, seal } from "../../crypto/sealed";
import { hashToken } from "../secrets";

const STATE_CONTEXT = "federated_sign_in.state";
export const FLOW_SECONDS = 600;

const FlowStateSchema = z.object({
  purpose: z.enum(["sign_in", "link"]),
  provider: z.enum(FEDERATED_PROVIDERS),
  tenantId: z.uuid(),
  /** Linking: the signed-in account the identity joins. */
  userId: z.uuid().optional(),
  nonce: z.string(),
  verifier: z.string(),
  binding: z.string(),
  callbackUrl: z.string(),
  expiresAt: z.number(),
  /** A mobile app's sign-in: where its one-time code goes, and the challenge that redeems it. */
  app: z.object({ redirectUri: z.string(), codeChallenge: z.string() }).optional(),
  /** A web sign-in asking for cookie mode. */
  cookies: z.boolean().optional(),
  /** A tenant's own provider, as it was when the sign-in started (the secret still sealed at rest). */
  oidc: z.object({ issuer: z.string(), clientId: z.string(), clientSecret: z.string() }).optional(),
});
export type FlowState = z.infer<typeof FlowStateSchema>;

const refused = () =>
  new AppError("federation_failed", "The sign-in's state is invalid, expired or from another browser.");

/** Seals a flow's state for the `state` parameter. */
export const sealFlowState = (keys: SealingKeys, state: FlowState) =>
  seal(keys, JSON.stringify(state), STATE_CONTEXT);

/** The hash of the browser-binding cookie's value, as the state keeps it. */
export const bindingOf = (cookieValue: string) => hashToken(cookieValue);

/**
 * Opens the `state` parameter and checks it: sealed by this deployment, unexpired, and answered in the browser
 * that started it (its binding cookie).
 */
export async function openFlowState(
  keys: SealingKeys,
  sealed: string | undefined,
  cookieValue: string | undefined,
  now: Date,
): Promise<FlowState> {
  if (!sealed || !cookieValue) throw refused();
  let state: FlowState;
  try {
    state = FlowStateSchema.parse(JSON.parse(await open(keys, sealed, STATE_CONTEXT)));
  } catch (error) {
    if (error instanceof SealedValueError || error instanceof SyntaxError || error instanceof z.ZodError)
      throw refused();
    throw error;
  }
  if (state.expiresAt <= now.getTime() || state.binding !== (await bindingOf(cookieValue))) throw refused();
  return state;
}
