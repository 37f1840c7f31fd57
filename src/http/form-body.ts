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
