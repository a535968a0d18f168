// Go's time.ParseDuration, which every kubectl duration flag uses (--request-timeout, --timeout,
// --since): "300ms", "1m30s", "1.5h", "2h45m", "-1s", "0". Its error texts are Go's, because kubectl
// prints them inside its own message. A bare number is seconds, as kubectl's --request-timeout takes.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DurationError";
  }
}

/** Go's syntax only: milliseconds, or a DurationError with Go's wording. */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new DurationError(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== "") {
    // One "<number><unit>" term: 1, 1.5, .5 then a unit made of letters.
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const number = m?.[0] ?? "";
    if (number === "" || number === "." || !/\d/.test(number)) throw new DurationError(`time: invalid duration ${quoted}`);
    rest = rest.slice(number.length);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? "";
    if (unit === "") throw new DurationError(`time: missing unit in duration ${quoted}`);
    const scale = UNIT_MS[unit];
    if (scale === undefined) throw new DurationError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    total += Number(number) * scale;
  }
  return sign * total;
}

/** kubectl's reading of a duration flag: a bare number is seconds, anything else Go's syntax. */
export function parseDurationFlag(text: string): number {
  const trimmed = text.trim();
  if (/^-?\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  return parseGoDuration(trimmed);
}
