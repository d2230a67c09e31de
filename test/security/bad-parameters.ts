import fc from "fast-check";
import { hostileString, hugeString, INJECTIONS } from "./hostile-strings";
import {
  type JsonSchema,
  numberViolates,
  resolve,
  type SchemaComponents,
  stringViolates,
  typesOf,
} from "./json-schema";
import { percentEncode } from "./openapi-walk";

/** A parameter value as it goes in the URL, and every way a server may decode it. */
export interface EncodedValue {
  encoded: string;
  decoded: string[];
}

// Cloudflare's edge refuses URLs over 16 KB before a Worker runs, so longer values prove nothing here.
const MAX_URL_CODE_POINTS = 4_000;

// Percent-encoding abuse: a lone "%", invalid UTF-8, an overlong "/", NUL, an RTL override, an encoded
// "../", a double-encoded dot, a "+" that query decoding turns into a space, and the empty value.
const RAW_VALUES: EncodedValue[] = [
  { encoded: "%", decoded: ["%"] },
  { encoded: "%FF", decoded: ["%FF", "\ufffd"] },
  { encoded: "%C0%AF", decoded: ["%C0%AF", "\ufffd\ufffd"] },
  { encoded: "%00", decoded: ["\u0000"] },
  { encoded: "%E2%80%AE", decoded: ["\u202e"] },
  { encoded: "%2e%2e%2f", decoded: ["../", "%2e%2e%2f"] },
  { encoded: "%252e", decoded: ["%2e"] },
  { encoded: "+", decoded: ["+", " "] },
  { encoded: "", decoded: [""] },
];

const asSent = (value: string) => new TextDecoder().decode(new TextEncoder().encode(value));
const encode = (value: string): EncodedValue => ({ encoded: percentEncode(value), decoded: [asSent(value)] });

/**
 * Whether every decoding of the value certainly breaks the parameter's schema. Numbers are read the way
 * the most lenient coercion does (`Number(...)`), so what is refused here is refused by any parser.
 */
function violates(schema: JsonSchema, types: string[], value: EncodedValue): boolean {
  if (types.length === 0 || types.includes("boolean")) return false;
  return value.decoded.every((decoded) => {
    const asNumber =
      (types.includes("integer") || types.includes("number")) &&
      !numberViolates(schema, types, Number(decoded));
    const asString = types.includes("string") && !stringViolates(schema, decoded);
    return !asNumber && !asString;
  });
}

/** Values that certainly break a parameter's schema, or `undefined` when nothing certainly does. */
export function invalidParameterValues(
  components: SchemaComponents,
  schema: JsonSchema | undefined,
): fc.Arbitrary<EncodedValue> | undefined {
  const s = resolve(components, schema ?? { type: "string" });
  const types = typesOf(components, s);
  const probes = [...RAW_VALUES, ...INJECTIONS.map(encode)];
  if (!probes.some((value) => violates(s, types, value))) return undefined;
  const tooLong = s.maxLength !== undefined && s.maxLength < MAX_URL_CODE_POINTS;
  return fc
    .oneof(
      fc.constantFrom(...probes),
      hostileString().map(encode),
      hugeString(tooLong ? (s.maxLength ?? 0) + 1 : 1, MAX_URL_CODE_POINTS).map(encode),
      fc.double().map((n) => encode(String(n))),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => encode(String(n))),
    )
    .filter((value) => violates(s, types, value));
}

/** Unknown query parameters with hostile names and values: harmless to a strict server, never a 5xx. */
export const unknownQueryParameters = fc.dictionary(
  hostileString({ minLength: 1, maxLength: 12 }).map((name) => `x-${name}`),
  hostileString(),
  { minKeys: 1, maxKeys: 3 },
);
