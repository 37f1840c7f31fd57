import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { AppError, ForbiddenError, InputError, NotFoundError, RateLimitedError } from '../core/errors.js';
import type { SurveyOutcome } from '../services/survey.js';
import { parseSurveyInput, type SurveyInput } from '../services/survey-input.js';
import { replyError } from './errors.js';
import { PUBLIC } from './route-auth.js';
import { RateLimiter } from './rate-limit.js';

/** Limits of the public survey routes (per minute). */
export interface SurveyLimits {
  perIpPerMinute: number;
  perAccountPerMinute: number;
  /** Longest accepted link (path and query), in characters. */
  maxUrlLength: number;
  /** Most events in one POST. */
  maxBatch: number;
}

export const DEFAULT_SURVEY_LIMITS: SurveyLimits = { perIpPerMinute: 60, perAccountPerMinute: 600, maxUrlLength: 2048, maxBatch: 100 };

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;text-align:center"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`;
}

/** The public survey routes of product.md §3: the rating link and server-side submissions. */
export function registerSurveyRoutes(server: FastifyInstance, app: App, limits: SurveyLimits): void {
  const perIp = new RateLimiter(limits.perIpPerMinute, 60_000);
  const perAccount = new RateLimiter(limits.perAccountPerMinute, 60_000);
  const admit = (req: FastifyRequest, accountKeys: string[]) => {
    const ip = perIp.take(req.ip, accountKeys.length);
    if (!ip.ok) throw new RateLimitedError('too many survey submissions from this address; try again shortly', ip.retryAfterS);
    for (const key of new Set(accountKeys)) {
      const acc = perAccount.take(key, accountKeys.filter((k) => k === key).length);
      if (!acc.ok) throw new RateLimitedError('too many survey submissions for this account; try again shortly', acc.retryAfterS);
    }
  };
  const sendError = (req: FastifyRequest, reply: FastifyReply, err: unknown, html: boolean) => {
    const { status, body } = replyError(req, reply, err);
    if (!html) return reply.code(status).send(body);
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(page(status === 429 ? 'Please try again in a moment' : 'This rating link did not work', status >= 500 ? `Something went wrong on our side (error id ${body.error.errorId}).` : body.error.message));
  };

  server.get<{ Params: { accountKey: string }; Querystring: Record<string, unknown> }>('/s/:accountKey', PUBLIC, async (req, reply) => {
    try {
      if (req.url.length > limits.maxUrlLength) throw new AppError('too_large', `the link is longer than ${limits.maxUrlLength} characters`);
      const key = req.params.accountKey;
      admit(req, [key]);
      const input = parseSurveyInput(req.query, key);
      const outcome = await app.survey.record(input, 'link');
      const who = outcome.event.agent.name ?? outcome.member?.name;
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(page('Thank you!', `Your rating${who ? ` for ${who}` : ''} was recorded. You can close this page.`));
    } catch (err) {
      return sendError(req, reply, err, true);
    }
  });

  server.post<{ Body: unknown }>('/api/v1/survey-events', PUBLIC, async (req, reply) => {
    try {
      const body = req.body;
      const list: unknown[] = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { events?: unknown }).events) ? (body as { events: unknown[] }).events : [body];
      if (list.length === 0) throw new InputError('no survey events in the body');
      if (list.length > limits.maxBatch) throw new InputError(`at most ${limits.maxBatch} survey events per request (got ${list.length})`);
      const inputs: SurveyInput[] = list.map((item, i) => {
        if (!item || typeof item !== 'object' || Array.isArray(item)) throw new InputError(`event ${i}: must be a JSON object`);
        try {
          return parseSurveyInput(item as Record<string, unknown>);
        } catch (err) {
          throw new InputError(`event ${i}: ${(err as Error).message}`, { cause: err });
        }
      });
      admit(req, inputs.map((i) => i.accountKey));
      // Every event is checked (key, signature) before any is stored: a batch is all or nothing.
      const authorized = [];
      for (const [i, input] of inputs.entries()) {
        authorized.push(
          await app.survey.authorize(input).catch((err: unknown) => {
            throw err instanceof NotFoundError || err instanceof ForbiddenError ? new (err.constructor as typeof NotFoundError)(`event ${i}: ${err.message}`, { cause: err }) : err;
          }),
        );
      }
      const outcomes: SurveyOutcome[] = [];
      for (const [i, input] of inputs.entries()) outcomes.push(await app.survey.record(input, 'api', authorized[i]));
      return reply.code(201).send({
        events: outcomes.map((o) => ({ ...o.event, addedMember: o.addedMember })),
      });
    } catch (err) {
      return sendError(req, reply, err, false);
    }
  });
}
