/**
 * The server's clock as seen from this tab: every answer's `Date` header tells
 * how far this machine's clock is from the server's, so ages of server events
 * are measured against the server's time, not a skewed local one.
 */

/** Differences below this are the `Date` header's one-second rounding, not skew. */
const NOISE_MS = 1500;

let offsetMs = 0;

/** Learns the skew from one answer's `Date` header (whole seconds), taken at local time `receivedAt`. */
export function observeServerDate(header: string | null, receivedAt: number = Date.now()): void {
  if (!header) return;
  const date = Date.parse(header);
  if (Number.isNaN(date)) return;
  // The header truncates to the second: the server's time lies in [date, date + 1 s).
  const skew = date + 500 - receivedAt;
  offsetMs = Math.abs(skew) < NOISE_MS ? 0 : skew;
}

/** The server's current time in ms, as best this tab knows it. */
export function serverNow(): number {
  return Date.now() + offsetMs;
}
