import type { FastifyInstance } from 'fastify';
import type { RouteAuthConfig } from '../access/route-auth.js';

/**
 * The body schema of a form route (console pages): every field is one string, except the fields
 * named in `lists`, which may be sent any number of times. A JSON body is held to the same shape,
 * so `{"email": 5}` or a repeated single field is a 400 naming the field, never a 500 later on.
 */
export function formBodySchema(lists: readonly string[] = []) {
  const oneOrMany = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 10_000 }] };
  return {
    type: ['object', 'null'],
    additionalProperties: { type: 'string' },
    properties: Object.fromEntries(lists.map((name) => [name, oneOrMany])),
  } as const;
}

/**
 * Holds every form a console page posts to one shape before its handler runs: each field one
 * string, unless the route's own schema lets a field repeat (a bulk change's ticked rows). A JSON
 * body with a number, an object or an array where a field belongs is a 400 naming the field.
 * Registered before the console's routes (an onRoute hook sees the routes added after it).
 */
export function holdFormsToShape(server: FastifyInstance): void {
  server.addHook('onRoute', (route) => {
    const page = (route.config as RouteAuthConfig | undefined)?.page;
    if (page && [route.method].flat().includes('POST') && !route.schema?.body) route.schema = { ...route.schema, body: formBodySchema() };
  });
}
