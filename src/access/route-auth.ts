/** Who may call a route: part of the route's config, checked for the route Fastify matched (src/web/server.ts). */
export interface RouteAuthConfig {
  /**
   * `public`: anyone; `caller` (the default for a route that says nothing): a bearer token or a
   * console session, whose unsafe requests also carry the session's CSRF token; `console`: a
   * console session only (pages), and without one the browser is sent to sign in.
   */
  auth?: 'public' | 'caller' | 'console';
  /** Refuse unsafe requests that a browser marks as coming from another site. */
  sameSiteOnly?: boolean;
  /** A console page: errors are answered as HTML, and (with `auth: 'console'`) no session sends the browser to /login. */
  page?: boolean;
}

/** Route options marking a route open to anyone. */
export const PUBLIC = { config: { auth: 'public' } satisfies RouteAuthConfig } as const;
