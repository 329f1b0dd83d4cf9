/**
 * Time-zone validation. Pure: Intl.DateTimeFormat construction depends only on the
 * runtime's ICU data, never on the clock or the host time zone.
 */

const validity = new Map<string, boolean>();

/** True when `tz` is an IANA zone name the runtime knows ("Europe/Berlin", "UTC", "US/Eastern"). */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz === '') return false;
  const cached = validity.get(tz);
  if (cached !== undefined) return cached;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    ok = true;
  } catch {
    ok = false;
  }
  validity.set(tz, ok);
  return ok;
}

/** The customer's zone when it is a valid IANA zone (surrounding whitespace ignored), else the brand's. */
export function resolveTimeZone(customerTz: string | null | undefined, brandTz: string): string {
  if (typeof customerTz === 'string') {
    const trimmed = customerTz.trim();
    if (isValidTimeZone(trimmed)) return trimmed;
  }
  return brandTz;
}

/**
 * @internal Throws a RangeError for anything that is not a valid IANA zone. @date-fns/tz would
 * otherwise silently accept offsets like "+05:00" or produce NaN dates for unknown names.
 */
export function assertTimeZone(tz: string): void {
  if (!isValidTimeZone(tz)) throw new RangeError(`Invalid IANA time zone: ${JSON.stringify(tz)}`);
}
