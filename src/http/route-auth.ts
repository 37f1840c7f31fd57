/** Who may call a route: part of the route's config, checked for the route Fastify matched (server.ts). */
export interface RouteAuthConfig {
  /** `public`: anyone; `token` (the default for a route that says nothing): a bearer token. */
  auth?: 'public' | 'token';
}

/** Route options marking a route open to anyone. */
export const PUBLIC = { config: { auth: 'public' } satisfies RouteAuthConfig } as const;
