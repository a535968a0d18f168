// Kubernetes resource quantities: "100m", "1", "1.5", "64Mi", "1G", "1e3". CPU is counted in
// millicores (1 = 1000m), memory in bytes (64Mi = 67108864).

export class QuantityParseError extends Error {
  override readonly name = "QuantityParseError";
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY_RE = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The message Kubernetes gives for a malformed quantity. */
export const QUANTITY_FORMAT_ERROR = "must match the regex ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/** The quantity's value in base units (cores, bytes) as a float; throws QuantityParseError. */
export function parseQuantity(s: string): number {
  const m = QUANTITY_RE.exec(s.trim());
  if (!m || s.trim() === "") throw new QuantityParseError(`quantities ${QUANTITY_FORMAT_ERROR}`);
  const [, num = "", suffix, exp] = m;
  const n = Number(num);
  if (!Number.isFinite(n)) throw new QuantityParseError(`quantity "${s}" is out of range`);
  let value = n;
  if (exp !== undefined) value = n * 10 ** Number(exp);
  else if (suffix !== undefined) {
    const mult = BINARY[suffix] ?? DECIMAL[suffix];
    if (mult === undefined) throw new QuantityParseError(`unknown quantity suffix "${suffix}"`);
    value = n * mult;
  }
  // "1e400" matches the syntax but is Infinity as a number: no resource is that large.
  if (!Number.isFinite(value)) throw new QuantityParseError(`quantity "${s}" is out of range`);
  return value;
}

/** Whether s parses as a quantity. */
export function isQuantity(s: string): boolean {
  try {
    parseQuantity(s);
    return true;
  } catch {
    return false;
  }
}

/** CPU in millicores, rounded up as Kubernetes' MilliValue: "100m" → 100, "1.5" → 1500, "1" → 1000. */
export function cpuMillis(s: string): number {
  return Math.ceil(Math.round(parseQuantity(s) * 1e6) / 1e3);
}

/** Memory in bytes, rounded up: "64Mi" → 67108864, "1G" → 1000000000. */
export function memoryBytes(s: string): number {
  return Math.ceil(Math.round(parseQuantity(s) * 1e3) / 1e3);
}

/** Millicores as Kubernetes prints them: 1500 → "1500m", 2000 → "2", 0 → "0". */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Bytes in the largest binary unit that divides them: 67108864 → "64Mi", 1000 → "1000". */
export function formatMemory(bytes: number): string {
  if (bytes === 0) return "0";
  for (const unit of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"] as const) {
    const mult = BINARY[unit] ?? 1;
    if (bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}

/** Formats a quantity of the named resource from its canonical integer (millicores for cpu, else units). */
export function formatQuantity(resource: string, value: number): string {
  return resource === "cpu" ? formatCpu(value) : formatMemory(value);
}

/** Parses a quantity of the named resource to its canonical integer: millicores for cpu, else units. */
export function quantityValue(resource: string, s: string): number {
  return resource === "cpu" ? cpuMillis(s) : memoryBytes(s);
}
