/**
 * The provider's answer turned into what the flow asked for: a sign-in (a token pair, or the second-factor
 * challenge when the account has 2FA on - as password sign-in), a mobile app's one-time code, or a linked
 * identity. Two round trips at most: the account read, then one write.
 *
 * An identity signs in as the account it is linked to, in the tenant the sign-in named. An identity linked to
 * nothing joins an existing account only with proof that its owner controls it: signed in (the linking flow),
 * or - where the tenant's policy allows - an address verified both by the provider and by the account.
 */
import { read } from "../../../db/batch";
import type { HttpDatabase } from "../../../db/client";
import {
  codeInsert,
  type FederatedIdentityRow,
  identityAccount,
  identityInsert,
  identityUsed,
  ssoSettingsOf,
} from "../../../db/repositories/federation.repository";
import { type UserRow, userByEmail } from "../../../db/repositories/users.repository";
import type { FederatedProvider } from "../../../db/schema";
import { unlessDuplicate } from "../../../db/unique";
import { AppError } from "../../../errors";
import { requireSealing } from "../../crypto/secrets-at-rest";
import type { AuthServices } from "../context";
import { logSecurityEvent, securityEventInsert } from "../events";
import { lockoutKey, refuseIfLocked } from "../lockout";
import { challengeSecondFactor, completeLogin, type LoginResult } from "../login";
import { generateOpaqueToken, hashToken } from "../secrets";
import { maySignIn } from "../unverified";
import { type ExternalIdentity, redeemAnswer } from "./exchange";
import { type FlowState, openFlowState } from "./flow-state";
import { deploymentProvider, tenantProvider } from "./providers";

export type FederatedOutcome =
  | { kind: "signed_in"; result: LoginResult; cookies: boolean }
  | { kind: "app"; location: string }
  | { kind: "linked"; identity: FederatedIdentityRow };

/** What the callback received: its URL, the `state` parameter and the browser-binding cookie. */
export interface ProviderAnswer {
  url: URL;
  sealedState: string | undefined;
  binding: string | undefined;
}

const CODE_SECONDS = 120;
const IDENTITY_KEYS = ["federated_identities_subject_key", "federated_identities_user_provider_key"];
const taken = () =>
  new AppError(
    "identity_taken",
    "This identity is linked to another account, or the account has one of this provider.",
  );
const notLinked = () =>
  new AppError(
    "account_not_linked",
    "No account of this tenant is linked to this identity: sign in another way and link it first.",
  );

/** Finishes a flow the API started, with the provider's answer. */
export async function finishFederation(
  ctx: AuthServices,
  provider: FederatedProvider,
  answer: ProviderAnswer,
): Promise<FederatedOutcome> {
  const keys = requireSealing(await ctx.secretsAtRest());
  const state = await openFlowState(keys, answer.sealedState, answer.binding, ctx.now());
  if (state.provider !== provider) {
    throw new AppError(
      "federation_failed",
      "The sign-in's state is invalid, expired or from another browser.",
    );
  }
  const client = provider === "oidc" ? tenantProvider(state.oidc) : deploymentProvider(ctx.config, provider);
  const identity = await redeemAnswer(ctx, client, state, {
    url: answer.url,
    sealedState: answer.sealedState as string,
  });
  if (state.purpose === "link") return { kind: "linked", identity: await linkIdentity(ctx, state, identity) };
  return signInAs(ctx, state, identity);
}

/** The signed-in owner's linking: the identity joins their account, unless it is someone else's (409). */
async function linkIdentity(ctx: AuthServices, state: FlowState, identity: ExternalIdentity) {
  const userId = state.userId as string;
  const event = {
    type: "identity_linked" as const,
    userId,
    tenantId: state.tenantId,
    details: { provider: state.provider, issuer: identity.issuer },
  };
  const { row } = await unlessDuplicate(IDENTITY_KEYS, taken, () =>
    ctx.database.read("platform", (db) => ({
      row: read(
        identityInsert(db, { ...keyOf(state, identity), userId, tenantId: state.tenantId }),
        (r) => r[0],
      ),
      event: read(securityEventInsert(db, ctx, event)),
    })),
  );
  if (!row) throw new Error("identity insert returned nothing");
  logSecurityEvent(ctx, event);
  return row;
}

const keyOf = (state: FlowState, identity: ExternalIdentity) => ({
  provider: state.provider,
  issuer: identity.issuer,
  subject: identity.subject,
  email: identity.email,
});

/** The account the identity signs in as, and what the sign-in's write must also do (link it, or note its use). */
async function accountOf(ctx: AuthServices, state: FlowState, identity: ExternalIdentity) {
  const byAddress = identity.emailVerified && identity.email !== null;
  const { linked, settings, owner } = await ctx.database.read("platform", (db) => ({
    linked: identityAccount(db, keyOf(state, identity)),
    settings: ssoSettingsOf(db, state.tenantId),
    ...(byAddress ? { owner: userByEmail(db, identity.email as string) } : {}),
  }));
  const now = ctx.now();
  if (linked) {
    if (linked.user.tenantId !== state.tenantId) throw notLinked();
    const proof = (db: HttpDatabase) => ({
      used: read(identityUsed(db, linked.identityId, identity.email, now)),
    });
    return { user: linked.user, proof, linkedNow: false };
  }
  const account = owner as UserRow | undefined;
  if (
    settings?.linkingPolicy !== "verified_email" ||
    !account ||
    account.tenantId !== state.tenantId ||
    !account.emailVerifiedAt
  ) {
    throw notLinked();
  }
  const event = {
    type: "identity_linked" as const,
    userId: account.id,
    tenantId: account.tenantId,
    details: { provider: state.provider, issuer: identity.issuer, proof: "verified_email" },
  };
  const proof = (db: HttpDatabase) => ({
    link: read(
      identityInsert(db, { ...keyOf(state, identity), userId: account.id, tenantId: account.tenantId }),
    ),
    linkEvent: read(securityEventInsert(db, ctx, event)),
  });
  return { user: account, proof, linkedNow: true };
}

async function signInAs(
  ctx: AuthServices,
  state: FlowState,
  identity: ExternalIdentity,
): Promise<FederatedOutcome> {
  const { user, proof, linkedNow } = await accountOf(ctx, state, identity);
  if (!maySignIn(user, ctx.now())) throw notLinked();
  await refuseIfLocked(ctx, lockoutKey(user, user.email));
  const outcome = await unlessDuplicate(IDENTITY_KEYS, taken, async (): Promise<FederatedOutcome> => {
    if (state.app) return { kind: "app", location: await issueAppCode(ctx, state, user, proof) };
    const result = user.totpEnabledAt
      ? await challengeSecondFactor(ctx, user, proof)
      : await completeLogin(ctx, user, `federated:${state.provider}`, proof);
    return { kind: "signed_in", result, cookies: state.cookies === true };
  });
  if (linkedNow) {
    logSecurityEvent(ctx, {
      type: "identity_linked",
      userId: user.id,
      tenantId: user.tenantId,
      details: { provider: state.provider, issuer: identity.issuer, proof: "verified_email" },
    });
  }
  return outcome;
}

/** A mobile sign-in's one-time code, stored hashed with the app's challenge; the app's redirect URI with it. */
async function issueAppCode(
  ctx: AuthServices,
  state: FlowState,
  user: UserRow,
  proof: (db: HttpDatabase) => Record<string, ReturnType<typeof read>>,
) {
  const app = state.app as NonNullable<FlowState["app"]>;
  const code = generateOpaqueToken();
  const values = {
    tenantId: user.tenantId,
    userId: user.id,
    codeHash: await hashToken(code),
    codeChallenge: app.codeChallenge,
    redirectUri: app.redirectUri,
    provider: state.provider,
    expiresAt: new Date(ctx.now().getTime() + CODE_SECONDS * 1000),
  };
  await ctx.database.read("platform", (db) => ({ ...proof(db), code: read(codeInsert(db, values)) }));
  const location = new URL(app.redirectUri);
  location.searchParams.set("code", code);
  return location.href;
}
