/**
 * Autotask's query language as the fake understands it (psa-api-facts §5.2): a `filter` array whose
 * items all hold (`{op, field, value}`, or `{op: "and"|"or", items}`), case-insensitive field
 * names, `IncludeFields`, and `MaxRecords` up to 500.
 */
export type FakeRecord = Record<string, unknown> & { id: number };

export interface FilterItem {
  op: string;
  field?: string;
  value?: unknown;
  items?: FilterItem[];
}

export interface QueryBody {
  filter?: FilterItem[];
  IncludeFields?: string[];
  MaxRecords?: number;
}

/** The value of `field` on `rec`, matching the name case-insensitively. */
export function fieldOf(rec: FakeRecord, field: string): unknown {
  const key = Object.keys(rec).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : rec[key];
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

/** Throws on an operator the fake does not know, as Autotask refuses a malformed query. */
export function holds(rec: FakeRecord, item: FilterItem): boolean {
  const op = item.op.toLowerCase();
  if (op === 'and') return (item.items ?? []).every((i) => holds(rec, i));
  if (op === 'or') return (item.items ?? []).some((i) => holds(rec, i));
  if (!item.field) throw new Error(`filter item with op "${item.op}" has no field`);
  const v = fieldOf(rec, item.field);
  const c = compare(v, item.value);
  switch (op) {
    case 'eq':
      return v === item.value;
    case 'noteq':
      return v !== item.value;
    case 'gt':
      return c !== undefined && c > 0;
    case 'gte':
      return c !== undefined && c >= 0;
    case 'lt':
      return c !== undefined && c < 0;
    case 'lte':
      return c !== undefined && c <= 0;
    case 'exist':
      return v !== null && v !== undefined;
    case 'notexist':
      return v === null || v === undefined;
    case 'in':
      return Array.isArray(item.value) && item.value.includes(v);
    default:
      throw new Error(`unknown filter op "${item.op}"`);
  }
}

/** The records matching every filter item, in id order. */
export function select(records: readonly FakeRecord[], filter: FilterItem[]): FakeRecord[] {
  return records.filter((r) => filter.every((f) => holds(r, f))).sort((a, b) => a.id - b.id);
}

/** A record with only the fields asked for (all of them when none are named). */
export function project(rec: FakeRecord, fields: string[] | undefined): Record<string, unknown> {
  if (!fields || fields.length === 0) return rec;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const key = Object.keys(rec).find((k) => k.toLowerCase() === f.toLowerCase());
    if (key !== undefined) out[key] = rec[key];
  }
  return out;
}

/**
 * A page in the order Autotask may send it: no order is documented, so the fake interleaves the
 * page from both ends (1st, last, 2nd, …). A client that takes the last item as the largest id
 * skips records.
 */
export function scramble<T>(page: T[]): T[] {
  const out: T[] = [];
  for (let lo = 0, hi = page.length - 1; lo <= hi; lo++, hi--) {
    out.push(page[lo]!);
    if (hi !== lo) out.push(page[hi]!);
  }
  return out;
}
