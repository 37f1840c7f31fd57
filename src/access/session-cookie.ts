import type { FastifyReply } from 'fastify';
import type { App } from '../app.js';
import type { RouteAuthConfig } from './route-auth.js';

/** The console's session cookie: HttpOnly, SameSite=Lax, Secure when the console is served over HTTPS. */
export const SESSION_COOKIE = 'psa_session';

const secure = (app: App) => app.env.publicUrl.startsWith('https://');

export function setSessionCookie(reply: FastifyReply, app: App, s: { sessionToken: string; expiresAt: Date }): void {
  void reply.setCookie(SESSION_COOKIE, s.sessionToken, { path: '/', httpOnly: true, sameSite: 'lax', secure: secure(app), expires: s.expiresAt });
}

export function clearSessionCookie(reply: FastifyReply, app: App): void {
  void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secure(app) });
}

/**
 * Sign-in routes: open to anyone, but only from this site's own pages when a browser says where a
 * request comes from (Sec-Fetch-Site), so another site cannot sign a visitor in as someone else.
 */
export const AUTH_ROUTE = { config: { auth: 'public', sameSiteOnly: true } satisfies RouteAuthConfig } as const;
