import { expect } from "vitest";
import { call } from "../integration/helpers";
import { exampleOf, type JsonSchema, resolve } from "./json-schema";

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, unknown>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
  security?: Array<Record<string, string[]>>;
}

/** One operation of the document; `method` is upper-case, as it goes on the wire. */
export interface WalkedOperation {
  method: string;
  path: string;
  operation: Operation;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** Fetches the live document through the Worker, as a client would. */
export async function fetchDocument(): Promise<OpenApiDocument> {
  const response = await call("/openapi.json");
  expect(response.status, "GET /openapi.json").toBe(200);
  const document = await response.json<OpenApiDocument>();
  expect(Object.keys(document.paths ?? {}).length, "documented paths").toBeGreaterThan(0);
  return document;
}

/** Every operation of the document, in document order. */
export function operationsOf(document: OpenApiDocument): WalkedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

/** `POST /path`, for test names and failure messages. */
export const nameOf = ({ method, path }: WalkedOperation) => `${method} ${path}`;

/** Whether the operation (or, when it says nothing, the document) requires a bearer token. */
export function isSecured(document: OpenApiDocument, { operation }: WalkedOperation): boolean {
  const requirements = operation.security ?? document.security ?? [];
  return requirements.some((requirement) => "bearerAuth" in requirement);
}

/** The operation's parameters in one location. */
export const parametersIn = ({ operation }: WalkedOperation, location: Parameter["in"]): Parameter[] =>
  (operation.parameters ?? []).filter((parameter) => parameter.in === location);

/** The (resolved) schema of the operation's JSON request body, if it takes one. */
export function jsonBodySchema(document: OpenApiDocument, { operation }: WalkedOperation) {
  const content = operation.requestBody?.content ?? {};
  const mediaType = Object.keys(content).find((type) => JSON_MEDIA_TYPE.test(type));
  const schema = mediaType ? content[mediaType]?.schema : undefined;
  return schema ? resolve(document.components?.schemas, schema) : undefined;
}

/** A valid request body for the operation, or `undefined` when it takes none. */
export function exampleBody(document: OpenApiDocument, walked: WalkedOperation): unknown {
  const schema = jsonBodySchema(document, walked);
  return schema ? exampleOf(document.components?.schemas, schema) : undefined;
}

/** A valid value for a parameter, as a string before encoding. */
export const exampleParameter = (document: OpenApiDocument, parameter: Parameter): string =>
  String(exampleOf(document.components?.schemas, parameter.schema ?? { type: "string" }));

/**
 * Percent-encodes every byte outside RFC 3986's unreserved set. Unlike `encodeURIComponent` it does not
 * throw on a lone surrogate: TextEncoder sends U+FFFD for it, as any client would.
 */
export function percentEncode(value: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Parameter values already encoded for the URL, by name; `undefined` leaves the parameter out. */
export type EncodedParameters = Record<string, string | undefined>;

/**
 * A concrete request target for a templated path: every path parameter and every required query parameter
 * gets a valid example unless `overrides` gives its value; undeclared query overrides are appended.
 */
export function concreteUrl(
  document: OpenApiDocument,
  walked: WalkedOperation,
  overrides: { path?: EncodedParameters; query?: EncodedParameters } = {},
): string {
  const encodedExample = (parameter: Parameter) => percentEncode(exampleParameter(document, parameter));
  const path = walked.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (overrides.path && name in overrides.path) return overrides.path[name] ?? "";
    const parameter = parametersIn(walked, "path").find((p) => p.name === name);
    return encodedExample(parameter ?? { name, in: "path", schema: { type: "string" } });
  });
  const query = { ...overrides.query };
  for (const parameter of parametersIn(walked, "query")) {
    if (!(parameter.name in query) && parameter.required) query[parameter.name] = encodedExample(parameter);
  }
  const pairs = Object.entries(query).flatMap(([name, value]) =>
    value === undefined ? [] : [`${percentEncode(name)}=${value}`],
  );
  return pairs.length > 0 ? `${path}?${pairs.join("&")}` : path;
}

/** Every required header parameter with a valid example (none today; kept so new routes work). */
export function exampleHeaders(document: OpenApiDocument, walked: WalkedOperation): Record<string, string> {
  return Object.fromEntries(
    parametersIn(walked, "header")
      .filter((parameter) => parameter.required)
      .map((parameter) => [parameter.name, exampleParameter(document, parameter)]),
  );
}
