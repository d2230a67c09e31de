// talisman ships no types; this is the one module of it the matcher imports.
declare module "talisman/metrics/jaro-winkler" {
  /** Jaro-Winkler similarity in [0, 1] (prefix scale 0.1 up to four characters, boosted above 0.7). */
  export default function jaroWinkler(a: string, b: string): number;
}
