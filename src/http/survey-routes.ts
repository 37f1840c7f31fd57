import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { AppError, ForbiddenError, InputError, NotFoundError, RateLimitedError } from '../core/errors.js';
import type { AuthorizedInput } from '../services/survey.js';
import { parseComment, parseSurveyInput } from '../services/survey-input.js';
import { COMMENT_MAX } from '../domain/person-scope.js';
import { replyError } from '../access/http-errors.js';
import { RateLimiter } from './rate-limit.js';
import { PUBLIC } from '../access/route-auth.js';
import { RECORD_JS, SURVEY_CSS, THANKS_TITLE } from './survey-assets.js';

/**
 * Limits of the public survey routes, per minute. The per-address limits count requests (a batch
 * is one request): recordings and page views apart, so a burst of views (an office behind one
 * address, a scanner) never uses up the recordings. The per-account limit counts events. A batch
 * can therefore never be larger than the per-account limit, or a full batch would always be refused.
 */
export interface SurveyLimits {
  /** Recordings (a rating link's POST, an API submission) per client address. */
  perIpPerMinute: number;
  /** Page views (a rating link's GET, and POSTs of automated clients, which record nothing) per client address. */
  viewsPerIpPerMinute: number;
  perAccountPerMinute: number;
  /** Longest accepted link (path and query), in characters. */
  maxUrlLength: number;
  /** Most events in one POST (at most `perAccountPerMinute`). */
  maxBatch: number;
}

export const DEFAULT_SURVEY_LIMITS: SurveyLimits = { perIpPerMinute: 60, viewsPerIpPerMinute: 300, perAccountPerMinute: 600, maxUrlLength: 2048, maxBatch: 100 };

/**
 * Clients that fetch links without a person behind them: mail security scanners (Safe Links,
 * Mimecast, Proofpoint, Barracuda), link previews and crawlers. They see the page; they record nothing.
 */
const AUTOMATED_AGENT = /bot\b|crawl|spider|slurp|preview|scanner|safelinks|mimecast|proofpoint|urldefense|barracuda|headless|phantomjs|python-requests|go-http-client|okhttp|java\//i;

/** True when the request is a prefetch, or comes from a client that announces itself as automated. */
export function isAutomated(req: FastifyRequest): boolean {
  const purpose = `${req.headers['sec-purpose'] ?? ''} ${req.headers.purpose ?? ''} ${req.headers['x-moz'] ?? ''}`;
  if (/prefetch|preview/i.test(purpose)) return true;
  return AUTOMATED_AGENT.test(req.headers['user-agent'] ?? '');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Survey pages load only their own stylesheet and script. */
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function page(title: string, body: string, extra = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/s/assets/survey.css">${extra}</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

const sendPage = (reply: FastifyReply, status: number, html: string) =>
  reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', PAGE_CSP).header('x-robots-tag', 'noindex').send(html);

/**
 * The comment box (product.md §3): a plain form posting to the same link, so it works without
 * scripts. For a link without a ticket it names the event the click recorded (`event`). Shown on
 * the thank-you page; on the link's page it is hidden until the page's script has recorded the rating.
 */
function commentForm(action: string, eventId: string | null, hidden: boolean): string {
  return (
    `<form id="comment-form" method="post" action="${escapeHtml(action)}"${hidden ? ' hidden' : ''}>` +
    `<p><label for="comment">Anything you would like to add? (optional)</label></p>` +
    `<p><textarea id="comment" name="comment" rows="4" cols="40" maxlength="${COMMENT_MAX}"></textarea></p>` +
    `<input type="hidden" name="event" value="${escapeHtml(eventId ?? '')}">` +
    `<button type="submit">Send comment</button></form>`
  );
}

/** The form fields of a comment post (urlencoded, or JSON), when the body carries a comment. */
function commentPost(body: unknown): { comment: unknown; event: string | null } | undefined {
  if (!body || typeof body !== 'object' || !('comment' in body)) return undefined;
  const b = body as { comment: unknown; event?: unknown };
  return { comment: b.comment, event: typeof b.event === 'string' && b.event !== '' ? b.event : null };
}

/** The rating page's heading before the rating is recorded; RECORD_JS replaces it with THANKS_TITLE once it is. */
export const CONFIRM_TITLE = 'One more step: confirm your rating';

const ratingWords = (rating: number) => (rating >= 8 ? 'a good rating' : rating >= 4 ? 'an OK rating' : 'a poor rating');

/**
 * The public survey routes of product.md §3. A rating link (`GET /s/:key`) only shows a page:
 * the page records the rating by a POST its script sends on load, or its button sends without
 * scripts. Mail scanners fetch every link of a message (GET or HEAD) and so record nothing, nor
 * does a POST from a client marked as automated. Servers submit through `POST /api/v1/survey-events`.
 */
export function registerSurveyRoutes(server: FastifyInstance, app: App, configured: SurveyLimits): void {
  const limits = { ...configured, maxBatch: Math.min(configured.maxBatch, configured.perAccountPerMinute) };
  const recordingsPerIp = new RateLimiter(limits.perIpPerMinute, 60_000);
  const viewsPerIp = new RateLimiter(limits.viewsPerIpPerMinute, 60_000);
  const perAccount = new RateLimiter(limits.perAccountPerMinute, 60_000);
  const admitAddress = (req: FastifyRequest, kind: 'recording' | 'view') => {
    const ip = (kind === 'recording' ? recordingsPerIp : viewsPerIp).take(req.ip);
    if (!ip.ok) throw new RateLimitedError('too many survey requests from this address; try again shortly', ip.retryAfterS);
  };
  const admitEvents = (accountKeys: string[]) => {
    const perKey = new Map<string, number>();
    for (const key of accountKeys) perKey.set(key, (perKey.get(key) ?? 0) + 1);
    for (const [key, n] of perKey) {
      const acc = perAccount.take(key, n);
      if (!acc.ok) throw new RateLimitedError('too many survey submissions for this account; try again shortly', acc.retryAfterS);
    }
  };
  const checkLink = async (req: FastifyRequest<{ Params: { accountKey: string }; Querystring: Record<string, unknown> }>, kind: 'recording' | 'view') => {
    if (req.url.length > limits.maxUrlLength) throw new AppError('too_large', `the link is longer than ${limits.maxUrlLength} characters`);
    admitAddress(req, kind);
    // A comment comes from the thank-you page's form, never from the link itself.
    return app.survey.authorize(parseSurveyInput({ ...req.query, comment: undefined }, req.params.accountKey));
  };
  const sendHtmlError = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const { status, body } = replyError(req, reply, err);
    const title = status === 429 ? 'Please try again in a moment' : 'This rating link did not work';
    const text = status >= 500 ? `Something went wrong on our side (error id ${body.error.errorId}).` : body.error.message;
    return sendPage(reply, status, page(title, `<p>${escapeHtml(text)}</p>`));
  };

  server.get('/s/assets/survey.css', PUBLIC, async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SURVEY_CSS));
  server.get('/s/assets/record.js', PUBLIC, async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(RECORD_JS));

  // The link itself: checks it and shows the page that records it; stores nothing.
  server.get<{ Params: { accountKey: string }; Querystring: Record<string, unknown> }>('/s/:accountKey', PUBLIC, async (req, reply) => {
    try {
      const { input } = await checkLink(req, 'view');
      const who = input.agentName ?? input.agentEmail ?? null;
      const status = `You are giving ${ratingWords(input.rating)} (${input.rating} of 10)${who ? ` for ${who}` : ''}. Press the button to record it.`;
      const form =
        `<form id="rating-form" method="post" action="${escapeHtml(req.url)}">` +
        `<p id="rating-status" role="status" aria-live="polite">${escapeHtml(status)}</p>` +
        `<button type="submit">Record my rating</button></form>` +
        commentForm(req.url, null, true);
      // Until the rating is recorded the heading asks for the last step (people close a "thank you" page);
      // the script, once it has recorded the rating, thanks them instead.
      return sendPage(reply, 200, page(CONFIRM_TITLE, form, '<script src="/s/assets/record.js" defer></script>'));
    } catch (err) {
      return sendHtmlError(req, reply, err);
    }
  });

  // A person's confirmation (the page's script, or its button): records the rating.
  server.post<{ Params: { accountKey: string }; Querystring: Record<string, unknown> }>('/s/:accountKey', PUBLIC, async (req, reply) => {
    const wantsJson = (req.headers.accept ?? '').includes('application/json');
    try {
      const automated = isAutomated(req);
      const checked = await checkLink(req, automated ? 'view' : 'recording');
      if (automated) {
        const message = 'Automated clients cannot record ratings; nothing was recorded.';
        return wantsJson ? reply.code(202).send({ recorded: false, message }) : sendPage(reply, 202, page('Nothing was recorded', `<p>${escapeHtml(message)}</p>`));
      }
      // The comment form posts the same link with a comment: checked (at most 2,000 characters) before anything is stored.
      const posted = commentPost(req.body);
      const problems: string[] = [];
      const comment = posted ? parseComment(posted.comment, problems) : null;
      if (problems.length > 0) throw new InputError(`comment rejected: ${problems.join('; ')}`);
      admitEvents([checked.input.accountKey]);
      if (posted) {
        const outcome = await app.survey.comment(checked, comment, posted.event);
        const message = comment ? 'Thank you: your comment was added to your rating. You can close this page.' : 'Your rating is recorded (no comment was added). You can close this page.';
        if (wantsJson) return reply.code(200).send({ recorded: true, eventId: outcome.eventId, message });
        const echo = comment ? `<blockquote class="comment">${escapeHtml(comment)}</blockquote>` : '';
        return sendPage(reply, 200, page(THANKS_TITLE, `<p role="status">${escapeHtml(message)}</p>${echo}`));
      }
      const outcome = await app.survey.record(checked, 'link');
      const who = outcome.agentName ?? outcome.member?.name;
      const message = `Your rating${who ? ` for ${who}` : ''} was recorded. You can close this page.`;
      if (wantsJson) return reply.code(200).send({ recorded: true, eventId: outcome.eventId, message });
      return sendPage(reply, 200, page(THANKS_TITLE, `<p role="status">${escapeHtml(message)}</p>${commentForm(req.url, checked.input.ticket === '' ? outcome.eventId : null, false)}`));
    } catch (err) {
      if (!wantsJson) return sendHtmlError(req, reply, err);
      const { status, body } = replyError(req, reply, err);
      return reply.code(status).send(body);
    }
  });

  server.post<{ Body: unknown }>('/api/v1/survey-events', PUBLIC, async (req, reply) => {
    try {
      admitAddress(req, 'recording');
      const body = req.body;
      const list: unknown[] = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { events?: unknown }).events) ? (body as { events: unknown[] }).events : [body];
      if (list.length === 0) throw new InputError('no survey events in the body');
      if (list.length > limits.maxBatch) throw new InputError(`at most ${limits.maxBatch} survey events per request (got ${list.length})`);
      const inputs = list.map((item, i) => {
        if (!item || typeof item !== 'object' || Array.isArray(item)) throw new InputError(`event ${i}: must be a JSON object`);
        try {
          return parseSurveyInput(item as Record<string, unknown>);
        } catch (err) {
          throw new InputError(`event ${i}: ${(err as Error).message}`, { cause: err });
        }
      });
      admitEvents(inputs.map((i) => i.accountKey));
      // Every event is checked (key, signature) before any is stored, and all are stored in one transaction.
      const checked: AuthorizedInput[] = [];
      for (const [i, input] of inputs.entries()) {
        checked.push(
          await app.survey.authorize(input).catch((err: unknown) => {
            throw err instanceof NotFoundError || err instanceof ForbiddenError ? new (err.constructor as typeof NotFoundError)(`event ${i}: ${err.message}`, { cause: err }) : err;
          }),
        );
      }
      const outcomes = await app.survey.recordAll(checked, 'api');
      return reply.code(201).send({ events: outcomes.map((o) => ({ ...o.event, addedMember: o.addedMember })) });
    } catch (err) {
      const { status, body } = replyError(req, reply, err);
      return reply.code(status).send(body);
    }
  });
}
