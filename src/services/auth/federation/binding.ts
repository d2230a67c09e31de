/** The cookie that binds a federated sign-in to the browser that began it (flow-state.ts). */
import { FLOW_SECONDS } from "./flow-state";

/** Its name without the `__Secure-` prefix the cookie carries. */
export const FEDERATION_COOKIE_NAME = "finedge_federation";
/** As the browser sends it. */
export const FEDERATION_COOKIE = `__Secure-${FEDERATION_COOKIE_NAME}`;
/** Sent only to the callbacks; Lax, since the provider's answer is a cross-site top-level navigation. */
export const FEDERATION_COOKIE_OPTIONS = {
  prefix: "secure",
  path: "/api/v1/auth/federated",
  httpOnly: true,
  secure: true,
  sameSite: "Lax",
  maxAge: FLOW_SECONDS,
} as const;
