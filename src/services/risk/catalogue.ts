/**
 * The platform's models as published to R2: the catalogue (every version, with its card) and each model's
 * active-version pointer. Both change only when an operator publishes, so an isolate keeps what it read
 * for a few seconds instead of asking R2 on every request.
 */
import { type ActivePointer, activePointerKey, CATALOGUE_KEY, type Catalogue } from "../../ml/layout";

const TTL_MS = 10_000;
const cache = new Map<string, { at: number; bucket: R2Bucket; value: Promise<unknown> }>();

function cached<T>(bucket: R2Bucket, key: string, load: () => Promise<T>): Promise<T> {
  const entry = cache.get(key);
  // The bucket is part of the key: tests and local runs may hand one isolate different buckets.
  if (entry && entry.bucket === bucket && Date.now() - entry.at < TTL_MS) return entry.value as Promise<T>;
  const value = load();
  value.catch(() => cache.delete(key));
  cache.set(key, { at: Date.now(), bucket, value });
  return value;
}

async function readJson<T>(bucket: R2Bucket, key: string): Promise<T | null> {
  const object = await bucket.get(key);
  return object ? ((await object.json()) as T) : null;
}

/** The published catalogue; empty when nothing has been published. */
export const platformCatalogue = (bucket: R2Bucket): Promise<Catalogue> =>
  cached(
    bucket,
    CATALOGUE_KEY,
    async () => (await readJson<Catalogue>(bucket, CATALOGUE_KEY)) ?? { models: [] },
  );

/** A platform model's active pointer, or null when the model is not published. */
export const activePointer = (bucket: R2Bucket, name: string): Promise<ActivePointer | null> =>
  cached(bucket, activePointerKey(name), () => readJson<ActivePointer>(bucket, activePointerKey(name)));

/**
 * Starts reading what resolving a platform model may need from R2 - its pointer and the catalogue - into the
 * isolate's cache, so a read that is due overlaps the request's other hops instead of following them.
 */
export function prefetchPlatformModel(bucket: R2Bucket, name: string): void {
  // The cached promises are what resolution awaits later; a failure is left for it to meet (and not kept).
  activePointer(bucket, name).catch(() => undefined);
  platformCatalogue(bucket).catch(() => undefined);
}

/** One published version of a platform model, if it exists. */
export async function platformVersion(bucket: R2Bucket, name: string, version: string) {
  const catalogue = await platformCatalogue(bucket);
  return catalogue.models.find((m) => m.name === name)?.versions.find((v) => v.version === version) ?? null;
}

/** Whether a platform model of this name exists (tenants' own models may not take its name). */
export async function isPlatformModel(bucket: R2Bucket, name: string): Promise<boolean> {
  return (await platformCatalogue(bucket)).models.some((m) => m.name === name);
}
