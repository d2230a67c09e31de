/**
 * A tenant's business day: the calendar day an instant falls on in the tenant's time zone, and that day's bounds
 * as instants - what a CTR aggregates over. `Intl` knows the zones (and their daylight-saving rules).
 */

const partsOf = (at: Date, zone: string) => {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return {
    y: get("year"),
    m: get("month"),
    d: get("day"),
    h: get("hour"),
    min: get("minute"),
    s: get("second"),
  };
};

/** The zone's offset from UTC at an instant, in milliseconds. */
const offsetAt = (at: Date, zone: string): number => {
  const p = partsOf(at, zone);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s) - Math.floor(at.getTime() / 1000) * 1000;
};

/** The instant a local midnight falls on (the offset read at the guess, then corrected once). */
const midnight = (y: number, m: number, d: number, zone: string): Date => {
  const local = Date.UTC(y, m - 1, d);
  let instant = local - offsetAt(new Date(local), zone);
  instant = local - offsetAt(new Date(instant), zone);
  return new Date(instant);
};

export interface BusinessDay {
  /** YYYY-MM-DD */
  day: string;
  from: Date;
  to: Date;
}

export function businessDay(at: Date, zone: string): BusinessDay {
  const p = partsOf(at, zone);
  const next = new Date(Date.UTC(p.y, p.m - 1, p.d + 1));
  return {
    day: `${String(p.y).padStart(4, "0")}-${String(p.m).padStart(2, "0")}-${String(p.d).padStart(2, "0")}`,
    from: midnight(p.y, p.m, p.d, zone),
    to: midnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), zone),
  };
}

/** The day `days` after a YYYY-MM-DD day. */
export function dayAfter(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
