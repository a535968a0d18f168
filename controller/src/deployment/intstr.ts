// Int-or-percent values ("25%", "1") as Kubernetes' intstr.GetScaledValueFromIntOrPercent.

export class IntOrPercentError extends Error {
  override readonly name = "IntOrPercentError";
}

/**
 * The value for `total`: an integer as is, a percentage of total rounded up or down.
 * "25%" of 10 is 2.5: 3 rounded up (maxSurge), 2 rounded down (maxUnavailable).
 * Integer arithmetic (25 * 10 = 250, 250 / 100) so that no float error flips a rounding.
 */
export function scaledValue(value: string, total: number, roundUp: boolean): number {
  const v = value.trim();
  const pct = /^(\d+)%$/.exec(v);
  if (pct) {
    const scaled = Number(pct[1]) * total;
    return roundUp ? Math.ceil(scaled / 100) : Math.floor(scaled / 100);
  }
  if (/^\d+$/.test(v)) return Number(v);
  throw new IntOrPercentError(`invalid value for IntOrString: invalid type: string is not a percentage: "${value}"`);
}
