import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientScope, MemberScope } from '../access/principal.js';
import type { PersonScopeView, ScopeChoice } from '../domain/person-scope.js';
import { AuthLinkSchema, PersonClientScopeSchema, PersonSchema, PersonScopeSchema, PersonSessionSchema, type AuthLinkEntity, type PersonEntity, type PersonRole } from './entities.js';
import { exec } from './sql.js';

/** A person as the API and CLI show them; never a password hash or a link. */
export interface PersonView {
  id: string;
  accountId: string | null;
  memberId: string | null;
  email: string;
  name: string;
  role: PersonRole;
  /** `invited`: no password yet; `active`: signs in; `suspended`: their member is not Active. */
  state: 'invited' | 'active' | 'suspended';
  activatedAt: string | null;
  suspendedAt: string | null;
  /** For an account manager narrowed to chosen members (include): those members; null otherwise (see `scope`). */
  memberScope: string[] | null;
  /** For an account manager: the engineers and clients they see, each an include or exclude list; null parts: all. */
  scope: PersonScopeView;
  /** The pending activation link's expiry, if one is pending. */
  invitationExpiresAt: string | null;
  invitedBy: string;
  createdAt: string;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

const choice = (mode: 'include' | 'exclude', values: string[]): ScopeChoice => (mode === 'include' ? { include: values } : { exclude: values });

export function personState(p: Pick<PersonEntity, 'suspendedAt' | 'activatedAt'>): PersonView['state'] {
  if (p.suspendedAt) return 'suspended';
  return p.activatedAt ? 'active' : 'invited';
}

/** People of an account (or support, for null), with each one's scope and pending invitation. */
export async function listPeople(em: EntityManager, accountId: string | null, now: Date, personIds?: string[]): Promise<PersonView[]> {
  const where = personIds ? { id: { $in: personIds } } : { account: accountId };
  const people = await em.find(PersonSchema, where, { orderBy: { role: 'asc', name: 'asc', id: 'asc' } });
  if (people.length === 0) return [];
  const ids = people.map((p) => p.id);
  // One after another: inside a transaction (sign-in reads the person it signs in) they share one connection.
  const scopes = await em.find(PersonScopeSchema, { person: { $in: ids } });
  const clientScopes = await em.find(PersonClientScopeSchema, { person: { $in: ids } });
  const links = await em.find(AuthLinkSchema, { person: { $in: ids }, purpose: 'activation', usedAt: null, expiresAt: { $gt: now } });
  return people.map((p) => ({
    id: p.id,
    accountId: p.account ?? null,
    memberId: p.member ?? null,
    email: p.email,
    name: p.name,
    role: p.role,
    state: personState(p),
    activatedAt: iso(p.activatedAt),
    suspendedAt: iso(p.suspendedAt),
    memberScope: p.narrowed && !p.membersExcluded ? scopes.filter((s) => s.person === p.id).map((s) => s.member).sort() : null,
    scope: {
      members: p.narrowed ? choice(p.membersExcluded ? 'exclude' : 'include', scopes.filter((s) => s.person === p.id).map((s) => s.member).sort()) : null,
      clients: p.clientScope ? choice(p.clientScope, clientScopes.filter((s) => s.person === p.id).map((s) => s.client).sort((a, b) => a.localeCompare(b))) : null,
    },
    invitationExpiresAt: p.activatedAt ? null : iso(links.filter((l) => l.person === p.id).map((l) => l.expiresAt).sort((a, b) => b.getTime() - a.getTime())[0]),
    invitedBy: p.invitedBy,
    createdAt: p.createdAt.toISOString(),
  }));
}

export async function personView(em: EntityManager, personId: string, now: Date): Promise<PersonView | undefined> {
  return (await listPeople(em, null, now, [personId]))[0];
}

/** A person by email (emails are stored lower-cased; one sign-in per email). */
export function findPersonByEmail(em: EntityManager, email: string): Promise<PersonEntity | null> {
  return em.findOne(PersonSchema, { email: email.toLowerCase() });
}

/**
 * The account's admins who can sign in, locked: the ones the last-admin rule counts. "Can sign in"
 * is the database view `signin_admin` (activated and not suspended; a pending invitation is not
 * one), the one definition the rule, the accounts' count and "no admin" flag, notifications and the
 * `account.no_admin` trigger share. Callers hold the account row lock first, so two admins demoting
 * each other serialise.
 */
export async function lockSignInAdmins(em: EntityManager, accountId: string): Promise<{ id: string; member: string | null }[]> {
  const rows = await exec<{ id: string; member_id: string | null }>(em, 'select id, member_id from person where id in (select id from signin_admin where account_id = ?) order by id for update', [accountId]);
  return rows.map((r) => ({ id: r.id, member: r.member_id }));
}

/** How many admins of the account can sign in (the view `signin_admin`). */
export async function countSignInAdmins(em: EntityManager, accountId: string): Promise<number> {
  const [row] = await exec<{ n: number }>(em, 'select count(*)::int as n from signin_admin where account_id = ?', [accountId]);
  return row?.n ?? 0;
}

/** Issues a link (32 random bytes; only the hash is kept); earlier unused links of the purpose stop working. */
export async function issueLink(em: EntityManager, link: Pick<AuthLinkEntity, 'id' | 'person' | 'purpose' | 'tokenHash' | 'expiresAt' | 'createdAt'>): Promise<void> {
  await em.nativeDelete(AuthLinkSchema, { person: link.person, purpose: link.purpose, usedAt: null });
  await em.insert(AuthLinkSchema, { ...link, usedAt: null });
}

/** Ends a person's open sessions (all, or all but one), with the reason. */
export async function endSessions(em: EntityManager, personId: string, reason: string, now: Date, except?: string): Promise<number> {
  return em.nativeUpdate(PersonSessionSchema, { person: personId, endedAt: null, ...(except ? { id: { $ne: except } } : {}) }, { endedAt: now, endReason: reason });
}

/** Replaces a narrowed account manager's members (null: sees every member); `excluded`: the list names those they do not see. */
export async function setScope(em: EntityManager, personId: string, memberIds: string[] | null, excluded = false): Promise<void> {
  await em.nativeDelete(PersonScopeSchema, { person: personId });
  await em.nativeUpdate(PersonSchema, { id: personId }, { narrowed: memberIds !== null, membersExcluded: memberIds !== null && excluded });
  if (memberIds && memberIds.length > 0) await em.insertMany(PersonScopeSchema, memberIds.map((member) => ({ person: personId, member })));
}

/** Replaces an account manager's clients (null: sees every client). */
export async function setClientScope(em: EntityManager, personId: string, scope: { mode: 'include' | 'exclude'; names: string[] } | null): Promise<void> {
  await em.nativeDelete(PersonClientScopeSchema, { person: personId });
  await em.nativeUpdate(PersonSchema, { id: personId }, { clientScope: scope?.mode ?? null });
  if (scope && scope.names.length > 0) await em.insertMany(PersonClientScopeSchema, scope.names.map((client) => ({ person: personId, client })));
}

/** One person's scope as shown, read one query after another (safe inside a transaction). */
export async function personScopeView(em: EntityManager, person: PersonEntity): Promise<PersonScopeView> {
  const members = person.narrowed ? (await em.find(PersonScopeSchema, { person: person.id })).map((s) => s.member).sort() : null;
  const clients = person.clientScope ? (await em.find(PersonClientScopeSchema, { person: person.id })).map((s) => s.client).sort((a, b) => a.localeCompare(b)) : null;
  return { members: members && choice(person.membersExcluded ? 'exclude' : 'include', members), clients: clients && choice(person.clientScope!, clients) };
}

export async function scopeOf(em: EntityManager, personId: string): Promise<string[]> {
  return (await em.find(PersonScopeSchema, { person: personId })).map((s) => s.member);
}

/**
 * What a signed-in person may see, for their Principal: the members (an employee's own; a narrowed
 * manager's chosen ones, or all but the chosen ones — an exclude list the database applies, so
 * members added later are seen) and the clients. Null: all.
 */
export async function viewScopeOf(em: EntityManager, person: PersonEntity): Promise<{ memberScope: MemberScope | null; clientScope: ClientScope | null }> {
  if (person.role === 'employee') return { memberScope: { mode: 'include', ids: person.member ? [person.member] : [] }, clientScope: null };
  if (person.role !== 'account_manager') return { memberScope: null, clientScope: null };
  const memberScope: MemberScope | null = person.narrowed ? { mode: person.membersExcluded ? 'exclude' : 'include', ids: await scopeOf(em, person.id) } : null;
  const clientScope = person.clientScope ? { mode: person.clientScope, names: (await em.find(PersonClientScopeSchema, { person: person.id })).map((s) => s.client) } : null;
  return { memberScope, clientScope };
}
