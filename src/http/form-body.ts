import type { FastifyInstance } from 'fastify';

/** A parsed form: a field sent once is a string; a field sent more than once is every value, in order. */
export type FormBody = Record<string, string | string[]>;

/**
 * Parses an `application/x-www-form-urlencoded` body. Repeated fields (`memberIds=a&memberIds=b`,
 * what a browser sends for ticked checkboxes of one name) keep every value; a routine
 * `Object.fromEntries` would keep only the last one.
 */
export function parseForm(body: string): FormBody {
  const values = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(body)) {
    const seen = values.get(key);
    if (seen) seen.push(value);
    else values.set(key, [value]);
  }
  // fromEntries defines own properties, so a field named "__proto__" is only a field.
  return Object.fromEntries([...values].map(([key, all]) => [key, all.length === 1 ? all[0]! : all]));
}

/** Registers the form parser on a server, with the server's body limit. */
export function registerFormParser(server: FastifyInstance, bodyLimit: number): void {
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, parseForm(body as string)));
}

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

