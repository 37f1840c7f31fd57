import type { FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { requireId } from '../core/ids.js';
import type { AccountView } from '../db/views.js';
import { assertCanRead, type Reading } from '../access/policy.js';
import type { Section, Viewer } from './layout.js';
import { viewerOf } from './reply.js';

/**
 * The viewer of an account page, after the same read check the API makes for that data (another
 * account's pages are not found; an employee or a narrowed manager only reads what they may).
 * These pages show the account record itself, so the caller must also read that (an employee never does).
 */
export async function accountViewer(app: App, req: FastifyRequest, rawAccountId: string, section: Section, reading: Reading = 'account'): Promise<{ viewer: Viewer; account: AccountView }> {
  const { viewer, account } = await accountViewerWith(app, req, rawAccountId, section, reading, async () => undefined);
  return { viewer, account };
}

/** As `accountViewer`, loading the page's own data (after the access check) beside the account. */
export async function accountViewerWith<T>(app: App, req: FastifyRequest, rawAccountId: string, section: Section, reading: Reading, load: (accountId: string) => Promise<T>): Promise<{ viewer: Viewer; account: AccountView; data: T }> {
  const accountId = requireId('account', rawAccountId);
  const principal = viewerOf(req);
  assertCanRead(principal, accountId, `account ${accountId}`, reading);
  assertCanRead(principal, accountId, `account ${accountId}`, 'account');
  const [account, data] = await Promise.all([app.accounts.get(accountId), load(accountId)]);
  return { viewer: { principal, account: { id: account.id, name: account.name, timeZone: account.timezone }, section }, account, data };
}

/**
 * The viewer of a page about one member (explain, an employee's own record): it shows the
 * account's name alone, so an employee may open it (the member's own check is the caller's).
 */
export async function memberPageViewer(app: App, req: FastifyRequest, rawAccountId: string, section: Section): Promise<Viewer> {
  const accountId = requireId('account', rawAccountId);
  const principal = viewerOf(req);
  assertCanRead(principal, accountId, `account ${accountId}`, 'members');
  const { id, name, timezone } = await app.accounts.get(accountId);
  return { principal, account: { id, name, timeZone: timezone }, section };
}
