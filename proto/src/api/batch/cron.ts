// Cron schedules as Kubernetes reads a CronJob's spec.schedule (robfig/cron's ParseStandard): five
// fields — minute hour day-of-month month day-of-week — each `*`, `?`, a value, a range `a-b`, a
// step `*/n` or `a-b/n` or `a/n`, or a comma list of those; month and weekday names (JAN, MON …);
// the descriptors @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly, and
// `@every <duration>` (Go's duration syntax, 1h30m). Day-of-month and day-of-week are ORed when both
// are restricted, as cron does. Times are computed on the wall clock of a time zone (IANA name), so
// `0 9 * * *` in Europe/Paris is 09:00 there, summer and winter.
// Errors carry robfig's wording, which Kubernetes puts after the field path:
// `spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`.

export class ScheduleError extends Error {
  override readonly name = "ScheduleError";
}

export interface Schedule {
  /** The first activation strictly after `t` (ms since the epoch); undefined when none within 5 years. */
  next(t: number): number | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

const DESCRIPTORS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A field's allowed values, and whether it was `*` or `?` (which matters for the day fields). */
interface Field {
  values: Set<number>;
  star: boolean;
}

function parseValue(s: string, b: Bounds): number {
  const named = b.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new ScheduleError(`failed to parse int from ${s}: strconv.Atoi: parsing "${s}": invalid syntax`);
  return Number(s);
}

/** One comma-separated part: `*`, `?`, `a`, `a-b`, with an optional `/step` (robfig's getRange). */
function parseRange(expr: string, b: Bounds, out: Set<number>): boolean {
  const [rangePart = "", stepPart, extra] = expr.split("/");
  if (extra !== undefined) throw new ScheduleError(`too many slashes: ${expr}`);
  let start: number;
  let end: number;
  let star = false;
  if (rangePart === "*" || rangePart === "?") {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    const [lo = "", hi, more] = rangePart.split("-");
    if (more !== undefined) throw new ScheduleError(`too many hyphens: ${expr}`);
    start = parseValue(lo, b);
    end = hi === undefined ? start : parseValue(hi, b);
  }
  let step = 1;
  if (stepPart !== undefined) {
    if (!/^\d+$/.test(stepPart)) throw new ScheduleError(`failed to parse int from ${stepPart}: strconv.Atoi: parsing "${stepPart}": invalid syntax`);
    step = Number(stepPart);
    // `a/n` means a through the maximum, every n.
    if (!star && !rangePart.includes("-")) end = b.max;
    if (step > 1) star = false;
  }
  if (start < b.min) throw new ScheduleError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new ScheduleError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new ScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new ScheduleError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) out.add(v);
  return star;
}

function parseField(text: string, b: Bounds): Field {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) if (parseRange(part, b, values)) star = true;
  return { values, star };
}

/** Go's time.ParseDuration for h, m, s, ms (what @every takes): "1h30m" → 5400000. */
function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (unit[m[2] ?? ""] ?? 0);
    pos = re.lastIndex;
  }
  if (s === "" || pos !== s.length) throw new ScheduleError(`failed to parse duration @every ${s}: time: invalid duration "${s}"`);
  return total;
}

/** Wall-clock fields of an instant in a zone, through Intl (cached per zone). */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at instant t, in ms (Paris in summer: +7200000). */
function offsetAt(zone: string, t: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(t))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/** Whether the zone is one Intl knows (an IANA name, or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    // RangeError: Invalid time zone specified — the answer is no.
    return false;
  }
}

/** The zone a CronJob without spec.timeZone runs in: this process's local zone, as Kubernetes. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

class FieldSchedule implements Schedule {
  constructor(
    private readonly minute: Field,
    private readonly hour: Field,
    private readonly dom: Field,
    private readonly month: Field,
    private readonly dow: Field,
    private readonly zone: string,
  ) {}

  private dayMatches(d: Date): boolean {
    const domOk = this.dom.values.has(d.getUTCDate());
    const dowOk = this.dow.values.has(d.getUTCDay());
    return this.dom.star || this.dow.star ? domOk && dowOk : domOk || dowOk;
  }

  /**
   * robfig's SpecSchedule.Next on the zone's wall clock: a "naive" Date whose UTC fields are the wall
   * fields, moved field by field (month, day, hour, minute), wrapping to the year when a field rolls
   * over; then turned back into an instant with the zone's offset there.
   */
  next(t: number): number | undefined {
    let wall = t + offsetAt(this.zone, t);
    for (let guard = 0; guard < 4; guard++) {
      const found = this.nextWall(wall);
      if (found === undefined) return undefined;
      let instant = found - offsetAt(this.zone, found - offsetAt(this.zone, found));
      // A wall time in a DST gap does not exist: Go normalises it forward by the jump, as here.
      if (instant + offsetAt(this.zone, instant) !== found) instant = found - offsetAt(this.zone, found);
      if (instant > t) return instant;
      // A repeated hour (DST fold): look after this one.
      wall = found;
    }
    return undefined;
  }

  private nextWall(after: number): number | undefined {
    const d = new Date(after - (((after % 60_000) + 60_000) % 60_000) + 60_000);
    const yearLimit = d.getUTCFullYear() + 5;
    wrap: for (;;) {
      if (d.getUTCFullYear() > yearLimit) return undefined;
      let moved = false;
      while (!this.month.values.has(d.getUTCMonth() + 1)) {
        if (!moved) {
          moved = true;
          d.setUTCDate(1);
          d.setUTCHours(0, 0, 0, 0);
        }
        d.setUTCMonth(d.getUTCMonth() + 1);
        if (d.getUTCMonth() === 0) continue wrap;
      }
      moved = false;
      while (!this.dayMatches(d)) {
        if (!moved) {
          moved = true;
          d.setUTCHours(0, 0, 0, 0);
        }
        d.setUTCDate(d.getUTCDate() + 1);
        if (d.getUTCDate() === 1) continue wrap;
      }
      moved = false;
      while (!this.hour.values.has(d.getUTCHours())) {
        if (!moved) {
          moved = true;
          d.setUTCMinutes(0, 0, 0);
        }
        d.setUTCHours(d.getUTCHours() + 1);
        if (d.getUTCHours() === 0) continue wrap;
      }
      while (!this.minute.values.has(d.getUTCMinutes())) {
        d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
        if (d.getUTCMinutes() === 0) continue wrap;
      }
      return d.getTime();
    }
  }
}

/** @every: a constant delay from the given time, at least a second, in whole seconds (robfig's Every). */
class EverySchedule implements Schedule {
  constructor(private readonly delayMs: number) {}
  next(t: number): number {
    return t - (((t % 1000) + 1000) % 1000) + this.delayMs;
  }
}

/** Parses a CronJob schedule; throws ScheduleError with robfig's message. zone: an IANA name. */
export function parseSchedule(spec: string, zone = "UTC"): Schedule {
  const s = spec.trim();
  if (s === "") throw new ScheduleError("empty spec string");
  if (s.startsWith("TZ=") || s.startsWith("CRON_TZ=")) throw new ScheduleError("TZ and CRON_TZ are not supported in schedule: use timeZone");
  if (s.startsWith("@every ")) {
    const ms = parseGoDuration(s.slice("@every ".length).trim());
    return new EverySchedule(Math.max(1000, Math.floor(ms / 1000) * 1000));
  }
  const text = s.startsWith("@") ? DESCRIPTORS[s.toLowerCase()] : s;
  if (text === undefined) throw new ScheduleError(`unrecognized descriptor: ${s}`);
  const fields = text.split(/\s+/);
  if (fields.length !== 5) throw new ScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
  const [mi = "", h = "", dom = "", mo = "", dow = ""] = fields;
  return new FieldSchedule(parseField(mi, MINUTES), parseField(h, HOURS), parseField(dom, DOM), parseField(mo, MONTHS), parseField(dow, DOW), zone);
}
