import type { Manifest } from "./manifest";

/** The first band (highest first) whose minimum the probability reaches: `p > min` if exclusive, else `>=`. */
export function bandOf(probability: number, bands: Manifest["bands"]): string {
  for (const band of bands) {
    if (band.exclusive ? probability > band.min : probability >= band.min) return band.band;
  }
  return bands.at(-1)?.band ?? "UNKNOWN";
}

/** Decimal places of a probability on the wire. */
export const PROBABILITY_DIGITS = 8;

/**
 * A probability as a fixed-precision decimal string. Anything but a number in [0, 1] is a model fault
 * and is thrown, so neither NaN nor Infinity can reach a client or the database.
 */
export function formatProbability(probability: number): string {
  if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
    throw new Error(`the model produced an invalid probability: ${probability}`);
  }
  return probability.toFixed(PROBABILITY_DIGITS);
}
