import type { FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { SESSION_COOKIE } from '../access/session-cookie.js';
import { html, type Html } from './html.js';
import { alert, bareLayout, layout, type Viewer } from './layout.js';
import { isHtmx } from './reply.js';

const TITLES: Record<number, string> = { 400: 'That did not work', 401: 'Please sign in', 403: 'Not allowed', 404: 'Not found', 409: 'Refused', 429: 'Too many attempts' };

/** An error as the console shows it: the message alone for htmx (swapped in place), else a page. */
export function errorPage(req: FastifyRequest, status: number, message: string): Html {
  if (isHtmx(req)) return alert('error', message);
  const title = TITLES[status] ?? 'Something went wrong';
  return bareLayout(title, html`${alert('error', message)}<p><a href="/">Back to the console</a></p>`);
}

/** True for a browser's navigation to a page: it asks for HTML, and it is neither the JSON API nor htmx. */
export const wantsPage = (req: FastifyRequest): boolean => !req.url.startsWith('/api/') && !isHtmx(req) && (req.headers.accept ?? '').includes('text/html');

const NOT_FOUND = 'There is no page at this address. The link may be old, or mistyped.';

/**
 * The page for an address no route has, for a browser: with the console's navigation when a
 * session cookie signs someone in (the access hook does not run for a missing route), else with
 * links to the start page and to sign in. The address itself is not repeated (it may carry a link's secret).
 */
export async function notFoundPage(app: App, req: FastifyRequest): Promise<Html> {
  const cookie = req.cookies?.[SESSION_COOKIE];
  const principal = cookie ? await app.auth.authenticate(cookie).catch(() => undefined) : undefined;
  if (!principal) {
    return bareLayout('Not found', html`${alert('error', NOT_FOUND)}<nav aria-label="Where to go"><ul><li><a href="/">The console's start page</a></li><li><a href="/login">Sign in</a></li></ul></nav>`);
  }
  const account = principal.accountId ? await app.accounts.get(principal.accountId).catch(() => undefined) : undefined;
  const v: Viewer = { principal, account: account ? { id: account.id, name: account.name } : undefined };
  return layout(v, 'Not found', html`${alert('error', NOT_FOUND)}<p><a href="/">Back to the start page</a></p>`);
}
