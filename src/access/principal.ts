/** The roles of product.md §7: three per account, and support across accounts. */
export type CallerRole = 'admin' | 'account_manager' | 'employee' | 'support';

/**
 * Who is calling, however they proved it: a service token (API, scripts) or a person's session
 * (the console). Every access check takes a Principal, so the API and the console share them.
 */
export interface Principal {
  kind: 'token' | 'session';
  /** The token's id, or the person's id. */
  id: string;
  /** The token's name, or the person's email. */
  name: string;
  role: CallerRole;
  /** The one account this caller belongs to; null for support. */
  accountId: string | null;
  /**
   * The members this caller may see: null for all of the account's; an employee's own member; the
   * members an admin chose for a narrowed account manager, as an include or an exclude list (an
   * exclude list is applied by the database, so members added later are seen).
   */
  memberScope: MemberScope | null;
  /**
   * The clients (customer companies named on ratings) this caller may see: absent or null for all;
   * a narrowed account manager's include or exclude list (names compare case-insensitively).
   */
  clientScope?: ClientScope | null;
  /** For a session: its id and the CSRF token its unsafe requests must carry. */
  sessionId?: string;
  csrfToken?: string;
}

/** An include or an exclude list of member ids. */
export interface MemberScope {
  mode: 'include' | 'exclude';
  ids: readonly string[];
}

/** Whether a member scope (null: all) lets its caller see a member. */
export function seesMember(scope: MemberScope | null, memberId: string): boolean {
  if (!scope) return true;
  return scope.mode === 'include' ? scope.ids.includes(memberId) : !scope.ids.includes(memberId);
}

/** An include or an exclude list of client names. */
export interface ClientScope {
  mode: 'include' | 'exclude';
  names: readonly string[];
}

/** How a caller is named in change entries, run requests and the audit trail. */
export function actorOf(p: Principal): string {
  return p.kind === 'token' ? `token:${p.name} (${p.id})` : `person:${p.name} (${p.id})`;
}
