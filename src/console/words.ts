/**
 * Small word helpers every console page shares, so a count reads the same everywhere ("1 member",
 * "2 members") and a time says the zone it is in. Pure: data in, words out.
 */

/** "1 member", "3 members", "1 match", "2 matches" (`many` for plurals that are not just +s). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A sentence ended by exactly one full stop ("only Stark, Inc." stays as it is). */
export const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);

function parts(d: Date, timeZone: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return Object.fromEntries(fmt.formatToParts(d).map((p) => [p.type, p.value]));
}

/**
 * An instant as "2026-12-04 23:20" (or to the second) in `timeZone`. Without a zone it is UTC and
 * says so ("2026-12-04 22:20 UTC"): a page that names its zone once (the layout's footer) passes it.
 */
export function stamp(d: string | Date, timeZone: string | undefined, seconds = false): string {
  const date = typeof d === 'string' ? new Date(d) : d;
  const p = parts(date, timeZone ?? 'UTC');
  const text = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
  return timeZone ? text : `${text} UTC`;
}
