import type { FastifyRequest } from 'fastify';
import { html, type Html } from './html.js';
import { alert, bareLayout } from './layout.js';
import { isHtmx } from './reply.js';

const TITLES: Record<number, string> = { 400: 'That did not work', 401: 'Please sign in', 403: 'Not allowed', 404: 'Not found', 409: 'Refused', 429: 'Too many attempts' };

/** An error as the console shows it: the message alone for htmx (swapped in place), else a page. */
export function errorPage(req: FastifyRequest, status: number, message: string): Html {
  if (isHtmx(req)) return alert('error', message);
  const title = TITLES[status] ?? 'Something went wrong';
  return bareLayout(title, html`${alert('error', message)}<p><a href="/">Back to the console</a></p>`);
}
