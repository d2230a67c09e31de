/** The subset of JSON Schema (2020-12, as OpenAPI 3.1 embeds it) that the route contracts produce. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** Named schemas that `$ref`s point to (`#/components/schemas/Name`). */
export type SchemaComponents = Record<string, JsonSchema> | undefined;

/** Follows local `$ref`s until a schema with content. */
export function resolve(components: SchemaComponents, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const target = components?.[schema.$ref.replace(/^#\/components\/schemas\//, "")];
  if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
  return resolve(components, target);
}

/** The JSON types a schema admits; empty when it does not say (anything goes). */
export function typesOf(components: SchemaComponents, schema: JsonSchema): string[] {
  const s = resolve(components, schema);
  if (s.type) return Array.isArray(s.type) ? s.type : [s.type];
  if ("const" in s) return [jsonTypeOf(s.const)];
  if (s.enum) return [...new Set(s.enum.map(jsonTypeOf))];
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    const all = branches.map((branch) => typesOf(components, branch));
    return all.some((types) => types.length === 0) ? [] : [...new Set(all.flat())];
  }
  if (s.properties) return ["object"];
  return [];
}

/** The JSON Schema type name of a parsed JSON value. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Whether a value's JSON type is one the schema admits ("number" admits integers). */
export const admitsType = (types: string[], value: unknown): boolean => {
  const type = jsonTypeOf(value);
  return types.length === 0 || types.includes(type) || (type === "integer" && types.includes("number"));
};

const codePoints = (value: string) => [...value].length;

// Conservative format checks: each says "certainly invalid" only for strings no sane validator accepts.
const FORMAT_SHAPES: Record<string, RegExp> = {
  email: /^[^@\s]+@[^@\s]+$/,
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:/,
  url: /^[A-Za-z][A-Za-z0-9+.-]*:/,
};

/** Whether the schema's `format` is one that constrains the value (not a hint such as `password`). */
export const hasShapedFormat = (schema: JsonSchema): boolean =>
  schema.format !== undefined && schema.format in FORMAT_SHAPES;

/**
 * Whether a string certainly breaks the schema. Lengths are checked both in code points (JSON Schema) and
 * in UTF-16 units (what zod and JavaScript count), so the verdict holds for either reading.
 */
export function stringViolates(schema: JsonSchema, value: string): boolean {
  if ("const" in schema && schema.const !== value) return true;
  if (schema.enum && !schema.enum.includes(value)) return true;
  if (schema.minLength !== undefined && value.length < schema.minLength) return true;
  if (schema.maxLength !== undefined && codePoints(value) > schema.maxLength) return true;
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) return true;
  const shape = schema.format ? FORMAT_SHAPES[schema.format] : undefined;
  return shape !== undefined && !shape.test(value);
}

/** Whether a number certainly breaks the schema's bounds or integrality. */
export function numberViolates(schema: JsonSchema, types: string[], value: number): boolean {
  if (!Number.isFinite(value)) return true;
  if (!types.includes("number") && types.includes("integer") && !Number.isInteger(value)) return true;
  if (schema.minimum !== undefined && value < schema.minimum) return true;
  if (schema.maximum !== undefined && value > schema.maximum) return true;
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return true;
  if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return true;
  if (schema.enum && !schema.enum.includes(value)) return true;
  return "const" in schema && schema.const !== value;
}

/** The shortest string a simple pattern (atoms, classes, quantifiers; no groups) matches. */
function patternExample(pattern: string): string | undefined {
  const source = pattern.replace(/^\^/, "").replace(/\$$/, "");
  if (/[()|]/.test(source)) return undefined;
  const sampleOfEscape = (char: string | undefined) => ({ d: "7", w: "a", s: " " })[char ?? ""] ?? char ?? "";
  let out = "";
  for (let i = 0; i < source.length; ) {
    let char: string;
    if (source[i] === "\\") {
      char = sampleOfEscape(source[i + 1]);
      i += 2;
    } else if (source[i] === "[") {
      const end = source.indexOf("]", i + 2);
      const members = source.slice(i + 1, end);
      if (end < 0 || members.startsWith("^")) return undefined;
      char = members.startsWith("\\") ? sampleOfEscape(members[1]) : (members[0] ?? "");
      i = end + 1;
    } else {
      char = source[i] === "." ? "a" : (source[i] ?? "");
      i += 1;
    }
    const quantifier = /^(?:\{(\d+)(?:,\d*)?\}|[+*?])/.exec(source.slice(i));
    const count = quantifier ? (quantifier[1] ? Number(quantifier[1]) : quantifier[0] === "+" ? 1 : 0) : 1;
    i += quantifier?.[0].length ?? 0;
    out += char.repeat(count);
  }
  return new RegExp(pattern).test(out) ? out : undefined;
}

const hex = () => crypto.randomUUID().replaceAll("-", "");

function stringExample(schema: JsonSchema): string {
  const formatted: Record<string, () => string> = {
    email: () => `sec-${hex().slice(0, 12)}@example.com`,
    uuid: () => crypto.randomUUID(),
    "date-time": () => new Date().toISOString(),
    // Two days back: a day that has begun in every time zone, so "not in the future" holds wherever it is judged.
    date: () => new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10),
    uri: () => "https://example.com/",
    url: () => "https://example.com/",
    password: () => `Pw-${hex()}`,
  };
  const example = typeof schema.example === "string" ? schema.example : undefined;
  let value =
    (schema.format && formatted[schema.format]?.()) ??
    (schema.pattern !== undefined
      ? example && !stringViolates(schema, example)
        ? example
        : patternExample(schema.pattern)
      : undefined) ??
    `sample-${hex()}`;
  if (schema.minLength !== undefined) value = value.padEnd(schema.minLength, "x");
  if (schema.maxLength !== undefined) value = value.slice(0, schema.maxLength);
  return value;
}

function numberExample(schema: JsonSchema, types: string[]): number | undefined {
  const candidates = [
    schema.default,
    schema.example,
    schema.minimum,
    schema.exclusiveMinimum === undefined ? undefined : Math.floor(schema.exclusiveMinimum) + 1,
    schema.maximum,
    schema.exclusiveMaximum === undefined ? undefined : Math.ceil(schema.exclusiveMaximum) - 1,
    1,
    0,
  ];
  return candidates.find((n): n is number => typeof n === "number" && !numberViolates(schema, types, n)) as
    | number
    | undefined;
}

/**
 * A value the schema accepts: objects with their required properties, strings that respect format,
 * length and simple patterns, numbers within bounds, the first enum member, `minItems` array items.
 * Throws when it cannot build one, so a new contract the generator does not understand fails loudly.
 */
export function exampleOf(components: SchemaComponents, schema: JsonSchema): unknown {
  const s = resolve(components, schema);
  if ("const" in s) return s.const;
  if (s.enum && s.enum.length > 0) return s.enum[0];
  if (s.allOf) return Object.assign({}, ...s.allOf.map((part) => exampleOf(components, part)));
  const branches = s.anyOf ?? s.oneOf;
  if (branches && branches.length > 0) {
    const chosen = branches.find((b) => !typesOf(components, b).includes("null")) ?? branches[0];
    return exampleOf(components, chosen as JsonSchema);
  }
  const types = typesOf(components, s);
  const type = types.find((t) => t !== "null") ?? types[0];
  let value: unknown;
  if (type === "object") {
    value = Object.fromEntries(
      (s.required ?? []).map((name) => [name, exampleOf(components, s.properties?.[name] ?? {})]),
    );
  } else if (type === "array") {
    value = Array.from({ length: s.minItems ?? 0 }, () => exampleOf(components, s.items ?? {}));
  } else if (type === "string") {
    value = stringExample(s);
    if (stringViolates(s, value as string)) value = undefined;
  } else if (type === "integer" || type === "number") {
    value = numberExample(s, types);
  } else if (type === "boolean") {
    value = true;
  } else if (type === "null") {
    value = null;
  } else {
    value = "sample";
  }
  if (value === undefined) throw new Error(`cannot build a valid example for ${JSON.stringify(s)}`);
  return value;
}
