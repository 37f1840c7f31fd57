import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { formBodySchema } from '../../src/console/form.js';
import { parseForm, registerFormParser } from '../../src/http/form-body.js';

/** Issue 16, item 2: a repeated form field (ticked rows) keeps every value. */
describe('form bodies', () => {
  it('a field sent once is a string; a repeated field is every value, in order', () => {
    expect(parseForm('active=false&memberIds=a&memberIds=b&memberIds=c&reason=')).toEqual({ active: 'false', memberIds: ['a', 'b', 'c'], reason: '' });
    expect(parseForm('q=caf%C3%A9+au+lait')).toEqual({ q: 'café au lait' });
    expect(parseForm('')).toEqual({});
  });

  it('a field named __proto__ is only a field', () => {
    const parsed = parseForm('__proto__=x&__proto__=y&a=1');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toEqual(['x', 'y']);
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });

  it('through a server: the parser hands a route every value of a repeated field, and a form schema refuses what does not fit, naming the field', async () => {
    // As the real server (src/http/server.ts): bodies are taken as sent, no type coercion.
    const server = Fastify({ ajv: { customOptions: { coerceTypes: false, allErrors: true } } });
    registerFormParser(server, 64 * 1024);
    server.post('/echo', async (req) => ({ body: req.body }));
    server.post('/single', { schema: { body: formBodySchema() } }, async (req) => ({ body: req.body }));
    server.post('/rows', { schema: { body: formBodySchema(['memberIds']) } }, async (req) => ({ body: req.body }));
    const form = (url: string, payload: string) => server.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
    try {
      expect((await form('/echo', 'memberIds=a&memberIds=b&memberIds=c&active=false')).json()).toEqual({ body: { memberIds: ['a', 'b', 'c'], active: 'false' } });
      expect((await form('/rows', 'memberIds=a&memberIds=b')).json()).toEqual({ body: { memberIds: ['a', 'b'] } });
      expect((await form('/rows', 'memberIds=a')).json()).toEqual({ body: { memberIds: 'a' } });
      // A field that must be one value, sent twice: refused by name.
      const twice = await form('/single', 'email=a%40x.test&email=b%40x.test');
      expect(twice.statusCode).toBe(400);
      expect(twice.json().message).toContain('body/email must be string');
      const json = await server.inject({ method: 'POST', url: '/single', payload: { email: 5 } });
      expect(json.statusCode).toBe(400);
      expect(json.json().message).toContain('body/email must be string');
      expect((await server.inject({ method: 'POST', url: '/single' })).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });
});
