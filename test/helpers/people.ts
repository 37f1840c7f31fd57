import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/app.js';
import { listHeldMail } from '../../src/db/mail-repository.js';

/** The password every test person sets. */
export const TEST_PASSWORD = 'Test-Password-1';

/** A signed-in console session: its cookie header, CSRF token, and who. */
export interface TestSession {
  cookie: string;
  csrf: string;
  email: string;
}

const sessionOf = (res: LightMyRequestResponse, email: string): TestSession => {
  if (res.statusCode !== 200) throw new Error(`sign-in of ${email} failed: ${res.statusCode} ${res.body}`);
  const c = res.cookies.find((x) => x.name === 'psa_session')!;
  return { cookie: `psa_session=${c.value}`, csrf: res.json().csrfToken, email };
};

/** The newest activation token mailed to `email` (the outbox: tests run without SMTP_URL unless they start a server). */
export async function activationToken(app: App, email: string): Promise<string> {
  const [mail] = await listHeldMail(app.orm.em.fork(), email, 1);
  const match = mail && /\/activate\/([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) throw new Error(`no activation mail for ${email}`);
  return match[1]!;
}

/** Invites a person as the operator would, activates them through the API, and returns their session. */
export async function signIn(app: App, server: FastifyInstance, who: { accountId: string; memberId: string; role: string; memberScope?: string[] } | { support: true; email?: string }): Promise<TestSession> {
  const { person } = 'support' in who ? await app.people.addSupport({ email: who.email ?? `support-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@psa-sync.test`, name: 'Support' }, 'cli') : await app.people.invite(who.accountId, { memberId: who.memberId, role: who.role }, 'cli');
  if (!('support' in who) && who.memberScope) await app.people.update(who.accountId, person.id, { memberScope: who.memberScope }, 'cli');
  const token = await activationToken(app, person.email);
  return sessionOf(await server.inject({ method: 'POST', url: '/api/v1/auth/activate', payload: { token, password: TEST_PASSWORD } }), person.email);
}

/** A second session of the same person. */
export async function signInAgain(server: FastifyInstance, session: TestSession): Promise<TestSession> {
  return sessionOf(await server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: session.email, password: TEST_PASSWORD } }), session.email);
}
