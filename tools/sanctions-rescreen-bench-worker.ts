/**
 * A Worker that does, in workerd, the CPU work of a sanctions list's life for tools/sanctions-rescreen-bench.ts
 * to time from outside (timers inside workerd do not advance during CPU work): an upload's validation, the
 * consumer's loading of the list, and the rescreen of customers - each name opened from its sealed identity and
 * screened, as the consumer does.
 */
import { openIdentity, sealIdentity } from "../src/services/compliance/customer-identity";
import type { PreparedList } from "../src/services/compliance/name-screening";
import { prepareList } from "../src/services/compliance/name-screening";
import { readUpload } from "../src/services/compliance/sanctions-lists";
import { screenAgainst } from "../src/services/compliance/sanctions-store";
import { parseSdnList, type SdnEntry } from "../src/services/compliance/sdn-list";
import { generateKeyRing } from "../src/services/crypto/key-ring";
import { importSealingKeys, type SealingKeys } from "../src/services/crypto/sealed";
import { listWithPlanted, PLANTED, syntheticEntries } from "../test/support/synthetic-names";

/** A list as OFAC writes it: sdn.csv and alt.csv (CRLF, quoted text, `-0- ` for null, weak aliases in remarks). */
function asSdnFiles(entries: readonly SdnEntry[]) {
  const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;
  const NULL = "-0- ";
  let altNum = 1;
  const sdn: string[] = [];
  const alt: string[] = [];
  for (const e of entries) {
    const weak = e.aliases.filter((a) => a.weak).map((a) => `a.k.a. '${a.name}'`);
    const type = e.type === "entity" ? NULL : quoted(e.type);
    sdn.push(
      [e.id, quoted(e.name), type, quoted(e.programs.join("] [")), NULL, NULL, NULL, NULL, NULL, NULL, NULL]
        .concat(weak.length > 0 ? [quoted(`${weak.join("; ")}.`)] : [NULL])
        .join(","),
    );
    for (const a of e.aliases.filter((x) => !x.weak))
      alt.push([e.id, altNum++, quoted(a.type), quoted(a.name), NULL].join(","));
  }
  return { sdn: `${sdn.join("\r\n")}\r\n\x1a\r\n`, alt: `${alt.join("\r\n")}\r\n` };
}

let files: { sdn: string; alt: string } | undefined;
let list: PreparedList<SdnEntry> | undefined;
let keys: SealingKeys | undefined;
let customers: Array<{ id: string; sealed: string }> = [];

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 0);
    switch (url.pathname) {
      case "/files":
        files = asSdnFiles(listWithPlanted(n));
        return Response.json({ sdnBytes: files.sdn.length, altBytes: files.alt.length });
      case "/validate": {
        if (!files) break;
        const encoder = new TextEncoder();
        return Response.json(readUpload({ sdn: encoder.encode(files.sdn), alt: encoder.encode(files.alt) }));
      }
      case "/prepare":
        if (!files) break;
        list = prepareList(parseSdnList(files).entries);
        return new Response(String(list.names.length));
      case "/customers": {
        keys = await importSealingKeys(generateKeyRing());
        // Names in the shape customers have ("First Last", "Name Trading LLC"), of the list's own make, so
        // they share tokens with listed names; some are listed parties written as a customer would be.
        const names = syntheticEntries(n, 7).map((e) =>
          e.type === "individual" ? e.name.split(", ").reverse().join(" ") : e.name,
        );
        PLANTED.forEach((p, i) => {
          names[(i * 97) % names.length] = p.queries[0] as string;
        });
        customers = await Promise.all(
          names.map(async (name) => {
            const id = crypto.randomUUID();
            return { id, sealed: await sealIdentity(keys as SealingKeys, id, { name }) };
          }),
        );
        return new Response(String(customers.length));
      }
      case "/rescreen": {
        if (!list || !keys) break;
        const from = Number(url.searchParams.get("from") ?? 0);
        let matched = 0;
        for (const c of customers.slice(from, from + n)) {
          const identity = await openIdentity(keys, c.id, c.sealed);
          matched += screenAgainst(list, identity.name).length;
        }
        return new Response(String(matched));
      }
      default:
        return new Response("ok");
    }
    return new Response("not ready", { status: 409 });
  },
};
