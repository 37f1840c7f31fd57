import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { UnauthenticatedError } from '../core/errors.js';
import { PUBLIC } from '../access/route-auth.js';

const MAX_BODY = 64 * 1024;

/**
 * `POST /hooks/connectwise/:accountKey` (product.md §11). The signature is checked over the raw
 * body, so this route takes its body as text; one without a signature is refused before any
 * lookup. A bad payload is a 4xx, never a 5xx (ConnectWise would retry it).
 */
export function registerCallbackRoutes(server: FastifyInstance, app: App): void {
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { accountKey: string }; Body: string }>('/hooks/connectwise/:accountKey', PUBLIC, async (req, reply) => {
      const signature = req.headers['x-content-signature'];
      if (typeof signature !== 'string' || signature === '') throw new UnauthenticatedError('a ConnectWise callback must carry x-content-signature');
      const outcome = await app.callbacks.receive(req.params.accountKey, typeof req.body === 'string' ? req.body : '', signature);
      return reply.code(200).send(outcome);
    });
  });
}
