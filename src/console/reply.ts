import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.js';
import type { Html } from './html.js';
import type { RouteAuthConfig } from '../access/route-auth.js';

/** No inline script or style anywhere in the console; forms post only to it; no framing. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Sends a console page or fragment. Pages are never cached: they show one person's view. */
export function sendHtml(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .send(body.text);
}

/** True for a request made by htmx (it wants a fragment, not a page). */
export const isHtmx = (req: FastifyRequest): boolean => req.headers['hx-request'] === 'true';

/** The signed-in person a console route runs for (set by the server's access hook). */
export const viewerOf = (req: FastifyRequest): Principal => req.principal!;

/** Route options of a console page that needs a signed-in person (a session cookie, never a token). */
export const CONSOLE = { config: { auth: 'console', page: true } satisfies RouteAuthConfig } as const;
/** Route options of a console page anyone may open (sign-in, activation, reset). */
export const CONSOLE_PUBLIC = { config: { auth: 'public', page: true, sameSiteOnly: true } satisfies RouteAuthConfig } as const;

/** After a change from a plain form: back to the page, with what happened in the URL (a 303, so reload does not repeat it). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).send();
}
