import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { PUBLIC } from '../access/route-auth.js';
import { registerAccountPages } from './account-pages.js';
import { CONSOLE_CSS, CONSOLE_JS, htmxScript } from './assets.js';
import { registerAuthPages } from './auth-pages.js';
import { registerExplainPages } from './explain-pages.js';
import { holdFormsToShape } from './form.js';
import { registerMemberPages } from './member-pages.js';
import { registerPeoplePages } from './people-pages.js';
import { registerRunPages } from './run-pages.js';
import { registerSettingsPages } from './settings-pages.js';
import { registerSurveyPages } from './survey-pages.js';
import { registerMePages } from './me-pages.js';
import { REPORT_CSS } from './report-css.js';
import { registerReportPages } from './report-pages.js';
import { registerScopePages } from './scope-pages.js';
import { registerSyncScopePages } from './sync-scope-pages.js';

/**
 * The browser console of product.md §9: server-rendered HTML on the same services and access checks
 * as the API, with htmx for the live parts. Every page works without scripts for reading and for
 * single changes; nothing is kept in the process, so any replica can answer any request.
 */
export function registerConsole(server: FastifyInstance, app: App): void {
  const asset = (path: string, type: string, body: () => string) =>
    server.get(path, PUBLIC, async (_req, reply) => reply.type(type).header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').send(body()));
  asset('/assets/console.css', 'text/css; charset=utf-8', () => CONSOLE_CSS + REPORT_CSS);
  asset('/assets/console.js', 'text/javascript; charset=utf-8', () => CONSOLE_JS);
  asset('/assets/htmx.min.js', 'text/javascript; charset=utf-8', htmxScript);

  holdFormsToShape(server);

  registerAuthPages(server, app);
  registerAccountPages(server, app);
  registerMemberPages(server, app);
  registerRunPages(server, app);
  registerExplainPages(server, app);
  registerSurveyPages(server, app);
  registerReportPages(server, app);
  registerMePages(server, app);
  registerPeoplePages(server, app);
  registerScopePages(server, app);
  registerSettingsPages(server, app);
  registerSyncScopePages(server, app);
}
