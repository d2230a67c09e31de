import fc from "fast-check";
import {
  hostileString,
  hugeString,
  INJECTIONS,
  nastyTexts,
  parsesAsJson,
  RawJson,
  serialize,
} from "./hostile-strings";
import {
  admitsType,
  exampleOf,
  hasShapedFormat,
  type JsonSchema,
  numberViolates,
  resolve,
  type SchemaComponents,
  stringViolates,
  typesOf,
} from "./json-schema";

type Pointer = Array<string | number>;

/** A place in a body where a value sits, with its schema. */
interface Slot {
  pointer: Pointer;
  schema: JsonSchema;
  types: string[];
}

/** A family of request bodies (as sent, JSON text or not) that all break the contract the same way. */
export interface BodyFamily {
  kind: string;
  bodies: fc.Arbitrary<string>;
}

const NUMBER_PROBES = [
  -1,
  -0.5,
  0,
  0.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  -(2 ** 63),
  2 ** 31,
  -(2 ** 31) - 1,
  5e-324,
];
const NUMBER_TOKENS = [
  "1e999",
  "-1e999",
  "123456789012345678901234567890",
  "-0.0000000000000000001",
  "1E400",
];

// One value of each JSON type, to tell whether a schema leaves any type to get wrong.
const JSON_SAMPLES: unknown[] = ["", 0.5, 1, true, null, [], {}];

const anyJson = fc.oneof(
  hostileString(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...NUMBER_PROBES),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(hostileString({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

function getAt(root: unknown, pointer: Pointer): unknown {
  let value = root;
  for (const key of pointer) value = (value as Record<string | number, unknown> | undefined)?.[key];
  return value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function setAt(root: unknown, pointer: Pointer, value: unknown): unknown {
  if (pointer.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  const parent = getAt(copy, pointer.slice(0, -1)) as object;
  Object.defineProperty(parent, pointer.at(-1) as string | number, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** Every slot of the example: the root, each property (optional ones too) and the first array item. */
function slotsOf(components: SchemaComponents, schema: JsonSchema, example: unknown, pointer: Pointer = []) {
  const s = resolve(components, schema);
  const slots: Slot[] = [{ pointer, schema: s, types: typesOf(components, s) }];
  if (isObject(example) && s.properties) {
    for (const [name, child] of Object.entries(s.properties)) {
      const present = Object.hasOwn(example, name);
      if (present)
        slots.push(
          ...slotsOf(components, child, (example as Record<string, unknown>)[name], [...pointer, name]),
        );
      else
        slots.push({
          pointer: [...pointer, name],
          schema: resolve(components, child),
          types: typesOf(components, child),
        });
    }
  }
  if (Array.isArray(example) && example.length > 0 && s.items) {
    slots.push(...slotsOf(components, s.items, example[0], [...pointer, 0]));
  }
  return slots;
}

/** Values that certainly break a slot's schema, or `undefined` when nothing certainly does. */
function invalidValue(components: SchemaComponents, slot: Slot): fc.Arbitrary<unknown> | undefined {
  const { schema: s, types } = slot;
  const options: fc.Arbitrary<unknown>[] = [];
  if (JSON_SAMPLES.some((sample) => !admitsType(types, sample))) {
    options.push(anyJson.filter((v) => !admitsType(types, v)));
  }
  if (types.includes("string")) {
    if (s.maxLength !== undefined) options.push(hugeString(s.maxLength + 1));
    const minLength = s.minLength ?? 0;
    if (minLength > 0)
      options.push(hostileString({ maxLength: minLength - 1 }).filter((v) => v.length < minLength));
    const shaped = s.pattern !== undefined || hasShapedFormat(s) || s.enum !== undefined || "const" in s;
    if (shaped && INJECTIONS.some((v) => stringViolates(s, v))) {
      options.push(
        fc.oneof(hostileString(), fc.constantFrom(...INJECTIONS)).filter((v) => stringViolates(s, v)),
      );
    }
  }
  if (types.includes("integer") || types.includes("number")) {
    const violates = (n: number) => numberViolates(s, types, n);
    if (NUMBER_PROBES.some(violates)) {
      options.push(
        fc
          .oneof(fc.double({ noNaN: true }), fc.integer(), fc.constantFrom(...NUMBER_PROBES))
          .filter(violates),
      );
    }
    const tokens = NUMBER_TOKENS.filter((token) => violates(JSON.parse(token)));
    if (tokens.length > 0) options.push(fc.constantFrom(...tokens).map((token) => new RawJson(token)));
  }
  if (types.includes("array") && s.maxItems !== undefined) {
    const item = exampleOf(components, s.items ?? {});
    options.push(fc.integer({ min: s.maxItems + 1, max: s.maxItems + 50 }).map((n) => Array(n).fill(item)));
  }
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

/**
 * Families of bodies that break the contract: a value of the wrong type or out of its bounds, a missing
 * required property, an unknown property (when the schema forbids them), an array or deep nesting where an
 * object is expected. Each is derived from the schema, so it holds for routes added later.
 */
export function invalidBodies(components: SchemaComponents, schema: JsonSchema): BodyFamily[] {
  const example = exampleOf(components, schema);
  const slots = slotsOf(components, schema, example);
  const families: BodyFamily[] = [];
  const valued = slots.flatMap((slot) => {
    const values = invalidValue(components, slot);
    return values ? [{ slot, values }] : [];
  });
  if (valued.length > 0) {
    families.push({
      kind: "a value of the wrong type, length, format or range",
      bodies: fc
        .constantFrom(...valued)
        .chain(({ slot, values }) => values.map((v) => serialize(setAt(example, slot.pointer, v)))),
    });
  }
  const objects = slots.filter((slot) => isObject(getAt(example, slot.pointer)));
  const required = objects.flatMap((slot) => (slot.schema.required ?? []).map((name) => ({ slot, name })));
  if (required.length > 0) {
    families.push({
      kind: "a missing required property",
      bodies: fc.constantFrom(...required).map(({ slot, name }) => {
        const copy = structuredClone(example);
        delete (getAt(copy, slot.pointer) as Record<string, unknown>)[name];
        return serialize(copy);
      }),
    });
  }
  const closed = objects.filter((slot) => slot.schema.additionalProperties === false);
  if (closed.length > 0) {
    const names = fc.oneof(
      fc.constantFrom("__proto__", "constructor", "prototype", "toString", "role", "tenant_id", "is_admin"),
      hostileString({ minLength: 1, maxLength: 12 }),
    );
    families.push({
      kind: "an unknown property",
      bodies: fc
        .tuple(fc.constantFrom(...closed), names, fc.jsonValue({ maxDepth: 2 }))
        .filter(([slot, name]) => !Object.hasOwn(slot.schema.properties ?? {}, name))
        .map(([slot, name, value]) => serialize(setAt(example, [...slot.pointer, name], value))),
    });
  }
  const root = slots[0];
  if (root?.types.includes("object") && !root.types.includes("array")) {
    families.push({
      kind: "an array or deep nesting where an object is expected",
      bodies: fc.oneof(
        fc.constant(serialize([example])),
        fc.array(fc.constant(example), { minLength: 0, maxLength: 3 }).map(serialize),
        fc.integer({ min: 1_000, max: 100_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)),
        fc
          .integer({ min: 1_000, max: 20_000 })
          .map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
      ),
    });
  }
  return families;
}

const GARBAGE = ["x", "}", "]", ",", ",{}", "{}", "\u0000", "//", "/* */", "NaN", "'", '"', "\\"];
const JUNK = [
  "{",
  "[",
  "{'a':1}",
  "{a:1}",
  '{"a":}',
  '{"a":1,}',
  "[1,]",
  '"unterminated',
  "undefined",
  "+1",
  ".5",
  "01",
];

/** Bodies that are not JSON at all: the valid example truncated, with garbage around it, or junk. */
export function malformedBodies(components: SchemaComponents, schema: JsonSchema): fc.Arbitrary<string> {
  const text = serialize(exampleOf(components, schema));
  const garbage = fc.oneof(fc.constantFrom(...GARBAGE), hostileString({ minLength: 1, maxLength: 8 }));
  return fc
    .oneof(
      fc.nat({ max: Math.max(0, text.length - 1) }).map((end) => text.slice(0, end)),
      garbage.map((g) => text + g),
      garbage.map((g) => g + text),
      fc.constantFrom(...JUNK),
      hostileString({ minLength: 1 }),
    )
    .filter((candidate) => !parsesAsJson(candidate));
}

/** The string slots that take free text: no pattern, no constraining format, no enum. */
function freeTextSlots(components: SchemaComponents, schema: JsonSchema, example: unknown) {
  return slotsOf(components, schema, example).filter(
    ({ schema: s, types }) =>
      types.includes("string") && !s.pattern && !hasShapedFormat(s) && !s.enum && !("const" in s),
  );
}

// Short texts are enough to reach storage; long ones are the invalid families' business.
const textLength = (schema: JsonSchema) =>
  Math.min(schema.maxLength ?? 64, Math.max(64, schema.minLength ?? 0));

/**
 * Every nasty character in every free-text field, each body otherwise valid and built afresh (a new e-mail
 * address each time, so a registration is not refused as a duplicate before the text reaches storage).
 */
export function nastyBodies(components: SchemaComponents, schema: JsonSchema): string[] {
  return freeTextSlots(components, schema, exampleOf(components, schema)).flatMap((slot) =>
    nastyTexts(slot.schema.minLength ?? 0, textLength(slot.schema))
      .filter((text) => !stringViolates(slot.schema, text))
      .map((text) => serialize(setAt(exampleOf(components, schema), slot.pointer, text))),
  );
}

/** Bodies the contract may well accept but that carry hostile text in one free-text field (fresh example each). */
export function hostileValidBodies(components: SchemaComponents, schema: JsonSchema) {
  const free = freeTextSlots(components, schema, exampleOf(components, schema));
  if (free.length === 0) return undefined;
  return fc.constantFrom(...free).chain((slot) => {
    return hostileString({ minLength: slot.schema.minLength ?? 0, maxLength: textLength(slot.schema) })
      .filter((v) => !stringViolates(slot.schema, v))
      .map((v) => serialize(setAt(exampleOf(components, schema), slot.pointer, v)));
  });
}
