/** Who may call a route: part of the route's config, checked for the route Fastify matched (server.ts). */
export interface RouteAuthConfig {
  /**
   * `public`: anyone; `caller` (the default for a route that says nothing): a bearer token or a
   * console session, whose unsafe requests also carry the session's CSRF token.
   */
  auth?: 'public' | 'caller';
  /** Refuse unsafe requests that a browser marks as coming from another site. */
  sameSiteOnly?: boolean;
}

/** Route options marking a route open to anyone. */
export const PUBLIC = { config: { auth: 'public' } satisfies RouteAuthConfig } as const;
