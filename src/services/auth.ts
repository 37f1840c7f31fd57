import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../access/principal.js';
import { readerOf, scopeSeenBy } from '../access/client-names.js';
import type { Env } from '../config/env.js';
import type { Clock } from '../core/clock.js';
import { AppError, ForbiddenError, InputError, UnauthenticatedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { getAccount } from '../db/account-repository.js';
import { recordAudit } from '../db/audit-repository.js';
import { AuthLinkSchema, PersonSchema, PersonSessionSchema, type PersonEntity } from '../db/entities.js';
import type { Orm } from '../db/orm.js';
import { endSessions, findPersonByEmail, issueLink, personView, viewScopeOf, type PersonView } from '../db/people-repository.js';
import { exec } from '../db/sql.js';
import type { Mailer } from '../notify/mailer.js';
import { resetMail } from '../notify/templates.js';
import { activationMailFor } from '../people/activation-mail.js';
import { LINK_TTL_MS, linkUrl, newSecret, sha256, type LinkPurpose } from '../people/links.js';
import type { PasswordHasher } from '../people/password-hasher.js';
import { passwordProblem } from '../people/password-policy.js';
import { SignInLimits } from './signin-limits.js';

/** A link that cannot be used: unknown, used, or expired. HTTP 400 with code `link_invalid`. */
export class LinkError extends AppError {
  constructor(message: string) {
    super('link_invalid', message);
  }
}

/** A signed-in session: the cookie's secret (shown once), its CSRF token and expiry, and who. */
export interface SignIn {
  sessionToken: string;
  csrfToken: string;
  expiresAt: Date;
  person: PersonView;
}

/** Where a sign-in came from (kept on the session; the address also keys the rate limit). */
export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

const TOUCH_EVERY_MS = 60_000;
/** Reset emails one address may be sent per window, however often "forgot" is pressed. */
const RESETS_PER_WINDOW = 3;

const LINK_WORDS: Record<LinkPurpose, { used: string; expired: string }> = {
  activation: { used: 'this activation link was already used; sign in with your password, or use "forgot password"', expired: 'this activation link has expired (links last 7 days); use "Forgot your password?" with your email to be sent a new one' },
  reset: { used: 'this reset link was already used; sign in, or ask for a new link', expired: 'this reset link has expired (links last 1 hour); ask for a new one' },
};

/**
 * Sign-in for people (product.md §7): activation and reset links, password sign-in limited per
 * address and per person across replicas, sessions in PostgreSQL with idle and absolute expiry,
 * and the Principal a session stands for.
 */
export class AuthService {
  #dummyHash: Promise<string> | undefined;
  private readonly limits: SignInLimits;

  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
    private readonly mailer: Mailer,
    private readonly env: Pick<Env, 'publicUrl' | 'sessions'>,
    private readonly logger: Logger,
  ) {
    this.limits = new SignInLimits(orm, clock, env.sessions);
  }

  /** Unknown emails cost a verify too, so the answer's timing does not tell which emails exist. */
  #dummy(): Promise<string> {
    return (this.#dummyHash ??= this.hasher.hash(newSecret()));
  }

  /** Sets the first password from an activation link and signs in. */
  activate(token: string, password: string, client: ClientInfo): Promise<SignIn> {
    return this.#useLink('activation', token, password, client);
  }

  /**
   * Checks a link when its page opens, without using it: throws the `LinkError` a submit would
   * (unknown, replaced, used or expired), so the page can say so instead of offering a form.
   */
  async checkLink(purpose: LinkPurpose, token: string): Promise<void> {
    await this.#diagnoseLink(this.orm.em.fork(), purpose, sha256(token));
  }

  /** Sets a new password from a reset link, ends every other session, and signs in. */
  reset(token: string, password: string, client: ClientInfo): Promise<SignIn> {
    return this.#useLink('reset', token, password, client);
  }

  /**
   * Email and password. Refused (429) after too many failures from the address or for the person.
   * The attempt is counted before the password is checked, so attempts made at once cannot all
   * pass the limit while their hashes wait; a right password gives its count back.
   */
  async login(emailInput: string, password: string, client: ClientInfo): Promise<SignIn> {
    const email = emailInput.trim().toLowerCase();
    this.hasher.assertRoom();
    const em = this.orm.em.fork();
    const reserved = await this.limits.reserve(client.ip, email);
    let person: PersonEntity | null;
    let ok: boolean;
    try {
      person = email ? await findPersonByEmail(em, email) : null;
      ok = person?.passwordHash ? await this.hasher.verify(password, person.passwordHash) : (await this.hasher.verify(password, await this.#dummy()), false);
    } catch (err) {
      // Not a wrong password (the hash queue is full, or the database failed): it counts for nothing.
      await this.limits.release(reserved);
      throw err;
    }
    if (!ok || !person || !person.activatedAt) {
      if (person) await this.limits.auditFailure(email, person);
      throw new UnauthenticatedError('the email or password is wrong');
    }
    await this.limits.release(reserved, { rightPassword: true });
    if (person.suspendedAt) {
      throw new ForbiddenError(`your sign-in is suspended because your member record is not Active${person.account ? ' in its account' : ''}; ask an admin of your account`);
    }
    if (this.hasher.needsRehash(person.passwordHash!)) {
      await em.nativeUpdate(PersonSchema, { id: person.id }, { passwordHash: await this.hasher.hash(password) });
    }
    return em.transactional((tem) => this.#startSession(tem, person, client));
  }

  /** Ends a session (sign out). */
  async logout(sessionId: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(PersonSessionSchema, { id: sessionId, endedAt: null }, { endedAt: this.clock.now(), endReason: 'logout' });
  }

  /**
   * "Forgot password": mails a reset link valid 1 hour to a person who can sign in, or a fresh
   * activation link to one who never accepted their invitation. Answers the same, and as fast,
   * whether or not the email exists: the lookup and mail happen afterwards.
   */
  forgot(emailInput: string): void {
    const email = emailInput.trim().toLowerCase();
    void this.#sendReset(email).catch((err: unknown) => this.logger.warn({ err }, 'reset email not sent'));
  }

  /** The person a session cookie stands for, or undefined when it is unknown, ended or expired. */
  async authenticate(sessionToken: string): Promise<Principal | undefined> {
    const em = this.orm.em.fork();
    const session = await em.findOne(PersonSessionSchema, { tokenHash: sha256(sessionToken) });
    const now = this.clock.now();
    if (!session || session.endedAt || session.expiresAt <= now || session.lastSeenAt.getTime() <= now.getTime() - this.env.sessions.idleMinutes * 60_000) return undefined;
    const person = await em.findOne(PersonSchema, { id: session.person });
    if (!person || person.suspendedAt || !person.activatedAt) return undefined;
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await em.nativeUpdate(PersonSessionSchema, { id: session.id }, { lastSeenAt: now });
    const { memberScope, clientScope } = await viewScopeOf(em, person);
    return { kind: 'session', id: person.id, name: person.email, role: person.role, accountId: person.account ?? null, memberScope, clientScope, sessionId: session.id, csrfToken: session.csrfToken };
  }

  /** True when `given` is the session's CSRF token (constant-time). */
  static csrfMatches(principal: Principal, given: string | undefined): boolean {
    if (!principal.csrfToken || !given) return false;
    const a = Buffer.from(principal.csrfToken);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Who is signed in, for `GET /api/v1/me` (their scope's client names as far as they see them). */
  async me(principal: Principal): Promise<{ person: PersonView | null; account: { id: string; name: string } | null }> {
    const em = this.orm.em.fork();
    const view = principal.kind === 'session' ? await personView(em, principal.id, this.clock.now()) : undefined;
    const person = view ? { ...view, scope: scopeSeenBy(principal, view.scope) } : null;
    const account = principal.accountId ? await getAccount(em, principal.accountId) : undefined;
    return { person, account: account ? { id: account.id, name: account.name } : null };
  }

  async #useLink(purpose: LinkPurpose, token: string, password: string, client: ClientInfo): Promise<SignIn> {
    const problem = passwordProblem(password);
    if (problem) throw new InputError(problem);
    this.hasher.assertRoom();
    const tokenHash = sha256(token);
    const em = this.orm.em.fork();
    // Diagnose before the slow hash; the update below is the judge (single use, even under a race).
    await this.#diagnoseLink(em, purpose, tokenHash);
    const passwordHash = await this.hasher.hash(password);
    const now = this.clock.now();
    return em.transactional(async (tem) => {
      const used = await exec<{ person_id: string }>(tem, 'update auth_link set used_at = ? where token_hash = ? and purpose = ? and used_at is null and expires_at > ? returning person_id', [now, tokenHash, purpose, now]);
      if (!used[0]) {
        await this.#diagnoseLink(tem, purpose, tokenHash);
        throw new LinkError(LINK_WORDS[purpose].used);
      }
      const person = (await tem.findOne(PersonSchema, { id: used[0].person_id }))!;
      if (person.suspendedAt) throw new ForbiddenError('your member record is not Active, so you cannot sign in; ask an admin of your account');
      // Only an invitation's link activates: a reset link never stands in for it (it would skip the invitation's own expiry).
      if (purpose === 'reset' && !person.activatedAt) throw new LinkError('you have not accepted your invitation yet, so this reset link cannot set a first password; use the activation link from your invitation email, or ask for a new one with "Forgot your password?"');
      person.passwordHash = passwordHash;
      person.activatedAt ??= now;
      person.updatedAt = now;
      await tem.flush();
      await endSessions(tem, person.id, purpose === 'reset' ? 'password_reset' : 'password_set', now);
      await tem.nativeDelete(AuthLinkSchema, { person: person.id, usedAt: null });
      await recordAudit(tem, { accountId: person.account ?? null, actor: `person:${person.email} (${person.id})`, action: purpose === 'activation' ? 'person.activated' : 'person.password_reset', target: person.member ? { type: 'member', id: person.member } : { type: 'person', id: person.id }, before: null, after: { personId: person.id }, reason: null }, now);
      return this.#startSession(tem, person, client);
    });
  }

  async #diagnoseLink(em: EntityManager, purpose: LinkPurpose, tokenHash: string): Promise<void> {
    const link = await em.findOne(AuthLinkSchema, { tokenHash, purpose });
    if (!link) throw new LinkError(`this ${purpose === 'activation' ? 'activation' : 'reset'} link is not valid: it may have been replaced by a newer one; use the latest email`);
    if (link.usedAt) throw new LinkError(LINK_WORDS[purpose].used);
    if (link.expiresAt <= this.clock.now()) throw new LinkError(LINK_WORDS[purpose].expired);
  }

  async #startSession(em: EntityManager, person: PersonEntity, client: ClientInfo): Promise<SignIn> {
    const now = this.clock.now();
    const sessionToken = newSecret();
    const csrfToken = newSecret();
    const expiresAt = new Date(now.getTime() + this.env.sessions.maxHours * 3_600_000);
    await em.insert(PersonSessionSchema, { id: randomUUID(), person: person.id, tokenHash: sha256(sessionToken), csrfToken, createdAt: now, lastSeenAt: now, expiresAt, endedAt: null, endReason: null, ip: client.ip, userAgent: client.userAgent?.slice(0, 300) ?? null });
    const view = (await personView(em, person.id, now))!;
    // An exclude list names the very clients hidden from the person signing in.
    return { sessionToken, csrfToken, expiresAt, person: { ...view, scope: scopeSeenBy(readerOf(view), view.scope) } };
  }

  /**
   * "Forgot password" from someone who never accepted their invitation: a fresh activation link
   * (7 days; earlier ones stop working), never a reset link. They stay invited until they use it.
   */
  async #resendActivation(person: PersonEntity, now: Date): Promise<void> {
    const token = newSecret();
    const account = person.account ? await getAccount(this.orm.em.fork(), person.account) : undefined;
    await this.orm.em.fork().transactional(async (tem) => {
      await issueLink(tem, { id: randomUUID(), person: person.id, purpose: 'activation', tokenHash: sha256(token), expiresAt: new Date(now.getTime() + LINK_TTL_MS.activation), createdAt: now });
      await recordAudit(tem, { accountId: person.account ?? null, actor: 'forgot password', action: 'person.invitation_resent', target: person.member ? { type: 'member', id: person.member } : { type: 'person', id: person.id }, before: null, after: { personId: person.id, email: person.email, role: person.role }, reason: null }, now);
    });
    await this.mailer.send(person.email, activationMailFor(this.env.publicUrl, person, account ?? null, token, now));
  }

  async #sendReset(email: string): Promise<void> {
    const em = this.orm.em.fork();
    const now = this.clock.now();
    const person = email ? await findPersonByEmail(em, email) : null;
    if (!person || person.suspendedAt) return;
    if ((await this.limits.countResetEmail(email)) > RESETS_PER_WINDOW) return;
    if (!person.activatedAt) return this.#resendActivation(person, now);
    const token = newSecret();
    const expiresAt = new Date(now.getTime() + LINK_TTL_MS.reset);
    await em.transactional((tem) => issueLink(tem, { id: randomUUID(), person: person.id, purpose: 'reset', tokenHash: sha256(token), expiresAt, createdAt: now }));
    await this.mailer.send(person.email, resetMail({ name: person.name, link: linkUrl(this.env.publicUrl, 'reset', token), expiresAt }));
  }
}
