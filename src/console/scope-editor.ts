import { InputError } from '../core/errors.js';
import { choiceParts, clientKey, type PersonScopeInput, type PersonScopeView, type ScopeChoice } from '../domain/person-scope.js';

/**
 * The scope editor's logic (the People page's "What they see", scope-pages.ts), pure. An account
 * may have a thousand engineers and as many clients, so the editor shows one page of each at a
 * time (searchable, or only the checked ones) and a save changes only the boxes that page showed:
 * every shown box travels with a hidden `shown_member_N` / `shown_client_N` field beside its
 * checkbox (`member_N` / `client_N`, sent when ticked), so what other pages hold stays as saved.
 */

type Form = Record<string, string | undefined>;
export type Mode = 'all' | 'include' | 'exclude';

/** Boxes a page shows of each list. */
export const EDITOR_PAGE = 50;

/** Which page of engineers and of clients the editor shows (URL values). */
export interface EditorView {
  /** Engineer search (name or email), the members table's cursor, and how many engineers came before it. */
  mq: string;
  mafter: string;
  moff: number;
  /** Only the checked engineers. */
  mchecked: boolean;
  /** Client search, and the page (0 first). */
  cq: string;
  cpage: number;
  cchecked: boolean;
}

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

export function parseEditorView(raw: Record<string, unknown>): EditorView {
  const count = (v: unknown) => {
    const n = Number(text(v, 7));
    return Number.isInteger(n) && n > 0 ? n : 0;
  };
  const mafter = text(raw.mafter, 400);
  return {
    mq: text(raw.mq, 100),
    mafter,
    moff: mafter ? count(raw.moff) : 0,
    mchecked: raw.mchecked === '1',
    cq: text(raw.cq, 200),
    cpage: count(raw.cpage),
    cchecked: raw.cchecked === '1',
  };
}

/** The view as URL values (empty ones left out), with some of them changed. */
export function viewQuery(v: EditorView, change: Partial<EditorView> = {}): Record<string, string | undefined> {
  const w = { ...v, ...change };
  return { mq: w.mq || undefined, mafter: w.mafter || undefined, moff: w.mafter && w.moff > 0 ? String(w.moff) : undefined, mchecked: w.mchecked ? '1' : undefined, cq: w.cq || undefined, cpage: w.cpage > 0 ? String(w.cpage) : undefined, cchecked: w.cchecked ? '1' : undefined };
}

export const modeOf = (c: ScopeChoice | null): Mode => (c ? choiceParts(c).mode : 'all');
export const valuesOf = (c: ScopeChoice | null): string[] => (c ? choiceParts(c).values : []);

/**
 * One page of the clients list: every client (rated, or named in the scope) whose name holds the
 * search (compared by key), or only the checked ones; in name order.
 */
export function clientPage(all: readonly string[], chosen: readonly string[], v: EditorView): { names: string[]; total: number; next: boolean } {
  const keys = new Set(chosen.map(clientKey));
  const wanted = clientKey(v.cq);
  const matching = all.filter((n) => (!v.cchecked || keys.has(clientKey(n))) && (wanted === '' || clientKey(n).includes(wanted)));
  const start = v.cpage * EDITOR_PAGE;
  return { names: matching.slice(start, start + EDITOR_PAGE), total: matching.length, next: matching.length > start + EDITOR_PAGE };
}

/** The values of a form's numbered fields `<prefix>_N`. */
const numbered = (form: Form, prefix: string): string[] =>
  Object.entries(form)
    .filter(([k, val]) => new RegExp(`^${prefix}_\\d+$`).test(k) && val)
    .map(([, val]) => val!.trim());

/**
 * The form as a scope change: each part all (null), or the boxes checked — those the page showed as
 * ticked, and those of other pages as they were saved — to include or exclude. Typed client names
 * (`moreClients`, one a line) are added.
 */
export function scopeFromForm(form: Form, current: PersonScopeView): PersonScopeInput {
  const mode = (name: string): Mode => {
    const m = form[name] ?? 'all';
    if (m !== 'all' && m !== 'include' && m !== 'exclude') throw new InputError(`${name} must be all, include or exclude`);
    return m;
  };
  const merged = (prefix: 'member' | 'client', saved: string[], key: (v: string) => string, typed: string[] = []): string[] => {
    const shown = new Set(numbered(form, `shown_${prefix}`).map(key));
    const out = new Map<string, string>();
    for (const v of [...saved.filter((s) => !shown.has(key(s))), ...numbered(form, prefix), ...typed]) if (!out.has(key(v))) out.set(key(v), v);
    return [...out.values()];
  };
  const part = (which: 'engineer' | 'client', m: Mode, values: string[]): ScopeChoice | null => {
    if (m === 'all') return null;
    if (m === 'include' && values.length === 0) throw new InputError(`check at least one ${which} to show, or choose "All ${which}s"`);
    return m === 'include' ? { include: values } : { exclude: values };
  };
  const typed = (form.moreClients ?? '').split(/\r?\n/).map((c) => c.trim()).filter((c) => c !== '');
  return {
    members: part('engineer', mode('membersMode'), merged('member', valuesOf(current.members), (id) => id.toLowerCase())),
    clients: part('client', mode('clientsMode'), merged('client', valuesOf(current.clients), clientKey, typed)),
  };
}
