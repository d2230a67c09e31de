/**
 * Third-party files served as the Worker's static assets, pinned by version and sha384 (tools/vendor-assets.ts
 * fetches them from npm into public/ and refuses any other bytes; the page repeats the hash as `integrity`).
 */
export interface VendoredFile {
  package: string;
  version: string;
  /** The file in the package. */
  from: string;
  /** Where it is served from, under public/. */
  path: string;
  integrity: string;
}

/** The API reference's renderer: Scalar's standalone bundle. */
export const SCALAR: VendoredFile = {
  package: "@scalar/api-reference",
  version: "1.40.0",
  from: "dist/browser/standalone.js",
  path: "docs/vendor/scalar-api-reference-1.40.0.js",
  integrity: "sha384-u/N+3N6pIEeVXuHl0044cGfxEcIxJIqZ1ED0wZUypHj1v1mCDTc2rO1iVOo57KJD",
};

export const VENDORED: readonly VendoredFile[] = [SCALAR];
