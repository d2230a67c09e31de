import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { ClientContext } from "../services/context";

/** What a request tells about where it came from: read once, into the request context. */

interface CfProperties {
  country?: string;
  city?: string;
  asn?: number;
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;

/** The client address if it is one (it is stored in an `inet` column); anything else is unknown. */
const clientIp = (value: string | undefined): string | null =>
  value &&
  ((IPV4.test(value) && value.split(".").every((o) => Number(o) <= 255)) ||
    (value.includes(":") && IPV6.test(value)))
    ? value
    : null;

/** The client as the edge sees it: `CF-Connecting-IP` is set by Cloudflare and cannot be forged through it. */
export function clientOf(c: Context<AppEnv>): ClientContext {
  const cf = (c.req.raw as { cf?: CfProperties }).cf;
  return {
    ip: clientIp(c.req.header("cf-connecting-ip")),
    userAgent: c.req.header("user-agent") ?? null,
    country: cf?.country ?? null,
    city: cf?.city ?? null,
    asn: typeof cf?.asn === "number" ? cf.asn : null,
  };
}
