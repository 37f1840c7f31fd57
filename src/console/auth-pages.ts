import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { AppError, RateLimitedError } from '../core/errors.js';
import { httpError } from '../access/http-errors.js';
import type { RequestLogConfig } from '../access/request-log.js';
import { clearSessionCookie, setSessionCookie } from '../access/session-cookie.js';
import { PASSWORD_RULES } from '../people/password-policy.js';
import { LinkError, type SignIn } from '../services/auth.js';
import { html, type Html } from './html.js';
import { alert, bareLayout } from './layout.js';
import { sentence } from './words.js';
import { CONSOLE, CONSOLE_PUBLIC, seeOther, sendHtml, viewerOf } from './reply.js';

type Form = Record<string, string | undefined>;

/**
 * Where sign-in returns to: `next` read the way a browser reads a Location (WHATWG URL, against
 * the console's own origin: tabs and newlines dropped, a backslash taken as `/`), kept only when it stays
 * on that origin, and given back as a path that cannot be read as another host. Otherwise `/`.
 */
export function safeNext(next: string | undefined, consoleUrl: string): string {
  if (!next) return '/';
  const origin = new URL(consoleUrl).origin;
  let url: URL;
  try {
    url = new URL(next, `${origin}/`);
  } catch {
    return '/';
  }
  // "/.//evil.example" resolves to the path "//evil.example", which a browser would read as a host.
  if (url.origin !== origin || !url.pathname.startsWith('/') || url.pathname.startsWith('//')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * Where to return after signing in, for an htmx request that found no session: the page it was
 * made from (HX-Current-URL, as htmx sends it), when that page is on the console's origin (or the
 * origin the request came to), as a path `safeNext` keeps; otherwise the start page.
 */
export function htmxReturnPath(currentUrl: string | undefined, consoleUrl: string, requestOrigin: string): string {
  if (!currentUrl) return '/';
  let url: URL;
  try {
    url = new URL(currentUrl);
  } catch {
    return '/';
  }
  if (url.origin !== new URL(consoleUrl).origin && url.origin !== requestOrigin) return '/';
  return safeNext(`${url.pathname}${url.search}${url.hash}`, consoleUrl);
}

const rules = (): Html => html`<ul class="rules" id="pw-rules" aria-live="polite">${PASSWORD_RULES.map((r) => html`<li data-rule="${r.id}">${r.words[0]!.toUpperCase() + r.words.slice(1)}</li>`)}</ul>`;

function loginPage(next: string, message?: Html, email = ''): Html {
  return bareLayout(
    'Sign in',
    html`${message ?? ''}<form method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<label for="email">Email</label><input type="email" id="email" name="email" autocomplete="username" required value="${email}" autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<p><button type="submit">Sign in</button></p>
</form>
<p><a href="/forgot">Forgot your password?</a></p>`,
  );
}

function passwordPage(kind: 'activate' | 'reset', token: string, message?: Html): Html {
  const title = kind === 'activate' ? 'Set your password' : 'Choose a new password';
  return bareLayout(
    title,
    html`${message ?? ''}<p class="muted">${kind === 'activate' ? 'Welcome. Choose a password to finish setting up your sign-in.' : 'Choose a new password; your other sessions will end.'}</p>
<form method="post" action="/${kind}/${token}">
<label for="password">New password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="8" maxlength="50" data-rules="pw-rules" aria-describedby="pw-rules" autofocus>
<p class="muted" id="pw-help">The password needs:</p>
${rules()}
<p><button type="submit">${kind === 'activate' ? 'Set password and sign in' : 'Save and sign in'}</button></p>
</form>`,
  );
}

/**
 * A link that cannot be used (unknown, replaced, used, expired): why, and the two ways on, to sign
 * in or to be sent a new link. No password form: it could only fail.
 */
function deadLinkPage(message: string): Html {
  return bareLayout(
    'This link no longer works',
    html`${alert('error', sentence(`${message.charAt(0).toUpperCase()}${message.slice(1)}`))}
<ul class="ways">
<li><a href="/login">Sign in</a> if you have already set a password.</li>
<li><a href="/forgot">Forgot your password?</a> Give your email to be sent a new link.</li>
</ul>`,
  );
}

/** The words of a refused request, for the form that shows it again (a 429 also says when to retry). */
function refusal(reply: FastifyReply, err: unknown): { status: number; message: Html } {
  if (!(err instanceof AppError)) throw err;
  const { status, body } = httpError(err);
  if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterS));
  return { status, message: alert('error', body.error.message) };
}

function signedIn(reply: FastifyReply, app: App, s: SignIn, next: string): FastifyReply {
  setSessionCookie(reply, app, s);
  return seeOther(reply, safeNext(next, app.env.publicUrl));
}

const client = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'] });

/** Sign in, activation and reset from the emailed links, forgotten password, sign out (product.md §9). */
export function registerAuthPages(server: FastifyInstance, app: App): void {
  server.get<{ Querystring: { next?: string } }>('/login', CONSOLE_PUBLIC, async (req, reply) => sendHtml(reply, loginPage(safeNext(req.query.next, app.env.publicUrl))));

  server.post<{ Body: Form }>('/login', CONSOLE_PUBLIC, async (req, reply) => {
    const email = req.body?.email ?? '';
    try {
      return signedIn(reply, app, await app.auth.login(email, req.body?.password ?? '', client(req)), req.body?.next ?? '/');
    } catch (err) {
      const { status, message } = refusal(reply, err);
      return sendHtml(reply, loginPage(safeNext(req.body?.next, app.env.publicUrl), message, email), status);
    }
  });

  // The link's token is in the path: the request log names the route's pattern instead.
  const LINK_PAGE = { config: { ...CONSOLE_PUBLIC.config, secretPath: true } satisfies RequestLogConfig };
  for (const kind of ['activate', 'reset'] as const) {
    // Opening the page checks the link (without using it): a dead one is said so at once, not after typing a password.
    server.get<{ Params: { token: string } }>(`/${kind}/:token`, LINK_PAGE, async (req, reply) => {
      try {
        await app.auth.checkLink(kind === 'activate' ? 'activation' : 'reset', req.params.token);
        return sendHtml(reply, passwordPage(kind, req.params.token));
      } catch (err) {
        if (!(err instanceof LinkError)) throw err;
        return sendHtml(reply, deadLinkPage(err.message), refusal(reply, err).status);
      }
    });
    server.post<{ Params: { token: string }; Body: Form }>(`/${kind}/:token`, LINK_PAGE, async (req, reply) => {
      try {
        const s = kind === 'activate' ? await app.auth.activate(req.params.token, req.body?.password ?? '', client(req)) : await app.auth.reset(req.params.token, req.body?.password ?? '', client(req));
        return signedIn(reply, app, s, '/');
      } catch (err) {
        const { status, message } = refusal(reply, err);
        if (err instanceof LinkError) return sendHtml(reply, deadLinkPage(err.message), status);
        return sendHtml(reply, passwordPage(kind, req.params.token, message), status);
      }
    });
  }

  const forgotPage = (message?: Html) =>
    bareLayout(
      'Forgot your password?',
      html`${message ?? ''}<p class="muted">Give your email; if it can sign in, a link to choose a new password (valid 1 hour) is sent to it. If you never finished setting up your sign-in, a new invitation link (valid 7 days) is sent instead.</p>
<form method="post" action="/forgot"><label for="email">Email</label><input type="email" id="email" name="email" autocomplete="username" required autofocus>
<p><button type="submit">Send the link</button></p></form><p><a href="/login">Back to sign in</a></p>`,
    );
  server.get('/forgot', CONSOLE_PUBLIC, async (_req, reply) => sendHtml(reply, forgotPage()));
  server.post<{ Body: Form }>('/forgot', CONSOLE_PUBLIC, async (req, reply) => {
    if (req.body?.email) app.auth.forgot(req.body.email);
    // One answer for everyone: it tells neither whether the email is known nor which link (reset or invitation) was sent.
    return sendHtml(reply, forgotPage(alert('ok', 'If the email belongs to someone here, we sent them a link to set a password. Check your inbox.')));
  });

  server.post('/logout', CONSOLE, async (req, reply) => {
    await app.auth.logout(viewerOf(req).sessionId!);
    clearSessionCookie(reply, app);
    return seeOther(reply, '/login');
  });

  // Everyone lands where their role works: support on the accounts, an employee on their record.
  server.get('/', CONSOLE, async (req, reply) => {
    const p = viewerOf(req);
    if (p.role === 'support') return seeOther(reply, '/accounts');
    if (p.role === 'employee') return seeOther(reply, '/me');
    return seeOther(reply, `/accounts/${p.accountId}`);
  });
}
