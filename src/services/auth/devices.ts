import type { ClientContext } from "../context";

/** The network a client is in: /24 for IPv4, /48 for IPv6, so a DHCP renewal is not a new device. */
export function ipPrefix(ip: string | null): string {
  if (!ip) return "unknown";
  if (ip.includes(":")) return `${ip.split(":").slice(0, 3).join(":")}::/48`;
  return `${ip.split(".").slice(0, 3).join(".")}.0/24`;
}

/** A device fingerprint: user agent, network prefix, country and ASN, hashed (SHA-256, first 128 bits). */
export async function deviceFingerprint(client: ClientContext): Promise<string> {
  const material = [client.userAgent ?? "", ipPrefix(client.ip), client.country ?? "", client.asn ?? ""].join(
    "|",
  );
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material));
  return [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A short, human description of the device for alerts and session lists. */
export function describeDevice(client: ClientContext): string {
  const place = [client.city, client.country].filter(Boolean).join(", ");
  return `${client.userAgent ?? "unknown client"}${place ? ` in ${place}` : ""}${client.ip ? ` (${client.ip})` : ""}`;
}
