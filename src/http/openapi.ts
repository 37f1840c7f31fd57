import { INTEGRATIONS } from '../connector/contract.js';
import { peoplePaths } from './openapi-people.js';
import { ratingsPaths } from './openapi-ratings.js';
import { scopePaths } from './openapi-scope.js';

/** The OpenAPI 3.1 document served at `/docs/openapi.json`: the contract the browser console will use. */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errors = {
  '400': { description: 'Bad input', ...json(ref('Error')) },
  '401': { description: 'No or unknown bearer token', ...json(ref('Error')) },
  '403': { description: "The token's role may not do this", ...json(ref('Error')) },
  '404': { description: 'Not found, or not visible to this token', ...json(ref('Error')) },
  '409': { description: 'Refused by a product rule (seat limit, member inactive in the PSA, run not held, stale plan)', ...json(ref('Error')) },
};
const accountId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const runId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const memberId = { name: 'memberId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const runWithChanges = json({ type: 'object', properties: { run: ref('Run'), changes: { type: 'array', items: ref('Change') } } });

const pageParameters = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
  { name: 'cursor', in: 'query', description: 'nextCursor of the previous page', schema: { type: 'string' } },
];

const accountSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    integration: { enum: [...INTEGRATIONS] },
    settings: { type: 'object', description: 'Connector settings without any secret' },
    seatLimit: { type: ['integer', 'null'] },
    seats: { type: ['object', 'null'], properties: { active: { type: 'integer' }, limit: { type: ['integer', 'null'] } } },
    syncAt: { type: ['string', 'null'] },
    timezone: { type: 'string' },
    breaker: { type: 'object', properties: { percent: { type: 'integer' }, minMembers: { type: 'integer' } } },
    publicKey: { type: 'string' },
    requireSignedLinks: { type: 'boolean' },
    surveyAutoAddCap: { type: 'integer' },
    schedule: { type: 'object', description: 'state (ok, backing_off, waiting_for_configuration, not_scheduled), nextAttemptAt, stale, lastCompleteSyncAt' },
    lastRun: { type: ['object', 'null'] },
    admins: { type: 'integer', description: 'admins who can sign in: activated and not suspended' },
    pendingAdmins: { type: 'integer', description: 'admins invited who have not set a password yet (not counted in admins)' },
    noAdmin: { type: 'boolean', description: '"no admin": no admin can sign in (pending invitations do not count); support should name a first admin' },
  },
};

const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    role: { enum: ['admin', 'account_manager', 'support'] },
    accountId: { type: ['string', 'null'] },
    state: { enum: ['active', 'expired', 'revoked'] },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedBy: { type: ['string', 'null'] },
  },
};

const linkParameters = [
  { name: 'accountKey', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'rating', in: 'query', required: true, schema: { type: 'integer', minimum: 0, maximum: 10 } },
  ...['ticket', 'respondent', 'agent_id', 'agent_identifier', 'agent_email', 'agent_name', 'sig'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
  { name: 'client', in: 'query', description: 'The customer company (a merge field); covered by the signature when present', schema: { type: 'string', maxLength: 200 } },
];

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'psa-sync', version: '1', description: 'Sync Members, runs, held-run decisions, members and their history (product.md §8).' },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'A token from `psa-sync tokens create`' },
      session: { type: 'apiKey', in: 'cookie', name: 'psa_session', description: 'A console session from POST /api/v1/auth/login; changes also need the x-csrf-token header' },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, errorId: { type: 'string', description: 'On a 500: marks the server log line with the detail' } },
          },
        },
      },
      Counts: {
        type: 'object',
        properties: Object.fromEntries(['fetched', 'added', 'updated', 'deactivated', 'movedToInactive', 'reactivated', 'unchanged', 'keptInactiveByAdmin', 'skipped', 'flaggedDisabled', 'outOfScope'].map((k) => [k, { type: 'integer' }])),
        description: 'outOfScope: members the PSA reports active that are outside the sync scope (moved now or already on Inactive Synced); ConnectWise and Autotask runs',
      },
      Run: {
        type: 'object',
        required: ['id', 'accountId', 'trigger', 'status', 'requestedBy', 'startedAt', 'finishedAt', 'counts', 'error'],
        properties: {
          id: { type: ['string', 'null'], format: 'uuid', description: 'null for a dry run' },
          accountId: { type: 'string', format: 'uuid' },
          trigger: { enum: ['schedule', 'manual', 'setup', 'retry', 'callback'] },
          status: { enum: ['queued', 'running', 'succeeded', 'failed', 'held', 'rejected', 'expired'] },
          requestedBy: { type: 'string' },
          dryRun: { type: 'boolean' },
          createdAt: { type: 'string', format: 'date-time' },
          startedAt: { type: ['string', 'null'], format: 'date-time' },
          finishedAt: { type: ['string', 'null'], format: 'date-time' },
          counts: { oneOf: [ref('Counts'), { type: 'null' }] },
          error: {
            oneOf: [
              { type: 'object', properties: { kind: { enum: ['auth', 'rate_limited', 'network', 'remote_error', 'bad_response', 'incomplete_read', 'config', 'internal', 'interrupted'] }, message: { type: 'string' } } },
              { type: 'null' },
            ],
          },
          holdReason: { type: ['string', 'null'] },
          holdKind: { enum: ['breaker', 'empty_roster', 'scope_matches_nobody', null], description: 'Why a held run is held; a scope_matches_nobody run is never approved' },
          decidedBy: { type: ['string', 'null'] },
          decidedAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
      Change: {
        type: 'object',
        properties: {
          id: { type: ['string', 'null'] },
          runId: { type: ['string', 'null'] },
          memberId: { type: ['string', 'null'] },
          externalId: { type: ['string', 'null'] },
          identifier: { type: ['string', 'null'] },
          name: { type: 'string' },
          email: { type: ['string', 'null'] },
          action: { type: 'string' },
          reason: { type: 'string' },
          changes: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, before: {}, after: {} } } },
          state: { enum: ['planned', 'applied', 'discarded'] },
          actor: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
        },
      },
      SurveyEventInput: {
        type: 'object',
        required: ['accountKey', 'rating'],
        properties: {
          accountKey: { type: 'string' },
          rating: { type: 'integer', minimum: 0, maximum: 10 },
          ticket: { type: 'string', maxLength: 64 },
          respondent: { type: 'string', maxLength: 320 },
          agentId: { type: 'string', maxLength: 64 },
          agentIdentifier: { type: 'string', maxLength: 100 },
          agentEmail: { type: 'string', maxLength: 320 },
          agentName: { type: 'string', maxLength: 200 },
          client: { type: 'string', maxLength: 200, description: 'The customer company the rating is about' },
          comment: { type: 'string', maxLength: 2000, description: "The respondent's words; longer is refused (400 naming comment), nothing stored" },
          sig: { type: 'string', description: 'hex HMAC-SHA256 of the account key and agent fields' },
        },
      },
      SurveyEvent: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          accountId: { type: 'string', format: 'uuid' },
          ticket: { type: 'string' },
          respondent: { type: 'string' },
          rating: { type: 'integer' },
          agent: { type: 'object', properties: { id: { type: ['string', 'null'] }, identifier: { type: ['string', 'null'] }, email: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } } },
          memberId: { type: ['string', 'null'] },
          matchedBy: { enum: ['id', 'identifier', 'email', 'name', 'added', null] },
          unmatchedReason: { type: ['string', 'null'] },
          channel: { enum: ['link', 'api', 'import'] },
          signed: { type: 'boolean' },
          clicks: { type: 'integer' },
          client: { type: ['string', 'null'] },
          comment: { type: ['string', 'null'] },
        },
      },
      Member: {
        type: 'object',
        required: ['id', 'accountId', 'externalId', 'identifier', 'name', 'email', 'source', 'active', 'list', 'psaActive', 'inactiveReason', 'department', 'workRole', 'location', 'title', 'hireDate', 'firstSeenAt', 'lastSeenAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          accountId: { type: 'string', format: 'uuid' },
          externalId: { type: ['string', 'null'] },
          identifier: { type: ['string', 'null'] },
          name: { type: 'string' },
          email: { type: ['string', 'null'] },
          source: { enum: ['psa', 'import', 'survey', 'manual'] },
          active: { type: 'boolean' },
          list: { enum: ['staff', 'inactive_synced'] },
          psaActive: { type: ['boolean', 'null'] },
          inactiveReason: { enum: ['psa_inactive', 'vanished', 'admin', 'seat_limit', 'out_of_scope', null], description: 'out_of_scope: active in the PSA but outside the sync scope' },
          adminInactive: { type: 'boolean' },
          department: { type: ['string', 'null'], description: "the PSA's department name (ConnectWise: default department; Autotask: default department)" },
          workRole: { type: ['string', 'null'], description: "the PSA's work role (position); ConnectWise only" },
          location: { type: ['string', 'null'], description: "the PSA's location name" },
          title: { type: ['string', 'null'] },
          hireDate: { type: ['string', 'null'], format: 'date', description: "YYYY-MM-DD; null when unknown (ConnectWise's 1800-01-01 included)" },
          firstSeenAt: { type: 'string', format: 'date-time' },
          lastSeenAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
  security: [{ bearer: [] }, { session: [] }],
  paths: {
    ...peoplePaths,
    ...ratingsPaths,
    ...scopePaths,
    '/api/v1/accounts/{id}/sync': {
      post: {
        summary: 'Sync Members: queue a run, or join the one already queued or running (admin)',
        parameters: [accountId, { name: 'dryRun', in: 'query', schema: { type: 'boolean' }, description: 'return the plan (200) without applying or storing anything' }],
        responses: { '202': { description: 'The queued or running run', ...json({ type: 'object', properties: { run: ref('Run'), joined: { type: 'boolean' } } }) }, '200': { description: 'Dry run plan', ...runWithChanges }, ...errors },
      },
    },
    '/api/v1/accounts/{id}/runs': {
      get: {
        summary: 'Run history, newest first, in pages',
        parameters: [
          accountId,
          { name: 'status', in: 'query', schema: { enum: ['queued', 'running', 'succeeded', 'failed', 'held', 'rejected', 'expired'] } },
          { name: 'trigger', in: 'query', schema: { enum: ['schedule', 'manual', 'setup', 'retry', 'callback'] } },
          { name: 'since', in: 'query', description: 'created at or after', schema: { type: 'string', format: 'date-time' } },
          { name: 'until', in: 'query', description: 'created before', schema: { type: 'string', format: 'date-time' } },
          ...pageParameters,
        ],
        responses: { '200': { description: 'Runs', ...json({ type: 'object', properties: { runs: { type: 'array', items: ref('Run') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors },
      },
    },
    '/api/v1/runs/{id}': {
      get: {
        summary: 'One run with a page of its change entries, in order (a held run: its planned changes)',
        parameters: [runId, ...pageParameters],
        responses: { '200': { description: 'Run, changes and nextCursor', ...runWithChanges }, ...errors },
      },
    },
    '/api/v1/runs/{id}/approve': { post: { summary: 'Apply exactly the stored plan of a held run (admin)', parameters: [runId], responses: { '200': { description: 'Run', ...runWithChanges }, ...errors } } },
    '/api/v1/runs/{id}/reject': { post: { summary: 'Discard a held run (admin)', parameters: [runId], responses: { '200': { description: 'Run', ...runWithChanges }, ...errors } } },
    '/api/v1/accounts/{id}/members': {
      get: {
        summary: 'A page of All Staff, Inactive Synced Members, or both: search, filters, sort and cursor pages, with the totals of the whole filter',
        parameters: [
          accountId,
          { name: 'list', in: 'query', schema: { enum: ['staff', 'inactive', 'all'], default: 'staff' } },
          { name: 'q', in: 'query', description: 'a fragment of the name or email, case-insensitive', schema: { type: 'string', maxLength: 100 } },
          { name: 'active', in: 'query', schema: { enum: ['true', 'false'] } },
          { name: 'source', in: 'query', schema: { enum: ['psa', 'import', 'survey', 'manual'] } },
          { name: 'role', in: 'query', description: 'members whose person has this role; none: members without a sign-in', schema: { enum: ['admin', 'account_manager', 'employee', 'none'] } },
          { name: 'department', in: 'query', description: "members in this department: the PSA's name, exact match", schema: { type: 'string', maxLength: 200 } },
          { name: 'location', in: 'query', description: "members at this location: the PSA's name, exact match", schema: { type: 'string', maxLength: 200 } },
          { name: 'sort', in: 'query', schema: { enum: ['name', 'email', 'firstSeenAt', 'active', 'source', 'list'], default: 'name' } },
          { name: 'order', in: 'query', schema: { enum: ['asc', 'desc'], default: 'asc' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          { name: 'cursor', in: 'query', description: 'nextCursor of the previous page', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'Members',
            ...json({
              type: 'object',
              properties: {
                members: { type: 'array', items: ref('Member') },
                total: { type: 'integer' },
                activeCount: { type: 'integer' },
                seatLimit: { type: ['integer', 'null'] },
                nextCursor: { type: ['string', 'null'] },
              },
            }),
          },
          ...errors,
        },
      },
    },
    '/api/v1/accounts/{id}/members/bulk': {
      post: {
        summary: 'Check or uncheck Active for the given members, or every member matching a members-table filter, in one transaction (admin): seat limit and PSA rules apply as for one box',
        parameters: [accountId],
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['active'],
            additionalProperties: false,
            properties: {
              active: { type: 'boolean' },
              memberIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
              filter: { type: 'object', description: 'the members-table query: q, active, list, source, role, department, location' },
            },
          }),
        },
        responses: {
          '200': {
            description: 'What changed and what was refused',
            ...json({ type: 'object', properties: { changed: { type: 'integer' }, refused: { type: 'array', items: { type: 'object', properties: { memberId: { type: 'string' }, code: { enum: ['seat_limit', 'psa_inactive', 'out_of_scope', 'vanished', 'last_admin', 'not_found'] }, reason: { type: 'string' } } } } } }),
          },
          ...errors,
        },
      },
    },
    '/api/v1/accounts/{id}/members/{memberId}': {
      patch: {
        summary: 'Check or uncheck Active (admin)',
        parameters: [accountId, memberId],
        requestBody: { required: true, ...json({ type: 'object', required: ['active'], properties: { active: { type: 'boolean' } }, additionalProperties: false }) },
        responses: { '200': { description: 'The member', ...json({ type: 'object', properties: { member: ref('Member') } }) }, ...errors },
      },
    },
    '/api/v1/accounts/{id}/members/{memberId}/explain': {
      get: {
        summary: "A member's state and every change that led to it, oldest first",
        parameters: [accountId, memberId],
        responses: { '200': { description: 'Member and history', ...json({ type: 'object', properties: { member: ref('Member'), history: { type: 'array', items: ref('Change') } } }) }, ...errors },
      },
    },
    '/api/v1/accounts/{id}/survey-events': {
      get: {
        summary: 'Recorded survey events, newest first, in pages; unmatched ones carry unmatchedReason',
        parameters: [accountId, { name: 'unmatched', in: 'query', schema: { type: 'boolean' } }, ...pageParameters],
        responses: { '200': { description: 'Events', ...json({ type: 'object', properties: { events: { type: 'array', items: ref('SurveyEvent') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors },
      },
    },
    '/api/v1/accounts': {
      get: { summary: 'Accounts with state, STALE flag, seats, schedule and last run: support sees all, anyone else their own (an employee: its id and name alone)', responses: { '200': { description: 'Accounts', ...json({ type: 'object', properties: { accounts: { type: 'array', items: accountSchema } } }) }, ...errors } },
    },
    '/api/v1/accounts/{id}': {
      get: { summary: 'One account (an employee reads its id and name alone)', parameters: [accountId], responses: { '200': { description: 'Account', ...json({ type: 'object', properties: { account: accountSchema } }) }, ...errors } },
      patch: {
        summary: 'Change seat limit, sync time and time zone, breaker thresholds, survey settings or (write-only) connector settings (admin). Unknown fields are refused',
        parameters: [accountId],
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            additionalProperties: false,
            properties: {
              seatLimit: { type: ['integer', 'null'], minimum: 0 },
              syncAt: { type: ['string', 'null'], pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
              timezone: { type: 'string' },
              breakerPercent: { type: 'integer', minimum: 0, maximum: 100 },
              breakerMinMembers: { type: 'integer', minimum: 0 },
              requireSignedLinks: { type: 'boolean' },
              surveyAutoAddCap: { type: 'integer', minimum: 0 },
              notificationEmails: { type: ['array', 'null'], items: { type: 'string' }, description: "who gets this account's notification emails; null: its admins" },
              settings: { type: 'object', description: "The connector's settings, secrets included; never returned (connectwise: site, companyId, publicKey, privateKey, clientId; autotask: userName, secret, integrationCode, zoneUrl?, discoveryUrl?; halopsa: baseUrl, clientId, clientSecret, tenant?, authUrl?)" },
            },
          }),
        },
        responses: { '200': { description: 'Account', ...json({ type: 'object', properties: { account: accountSchema } }) }, ...errors },
      },
    },
    '/api/v1/accounts/{id}/audit': {
      get: {
        summary: "The account's audit trail: every admin action (Active box, bulk, approve/reject, settings, tokens), newest first, with who, before and after, and the reason given",
        parameters: [accountId, ...pageParameters],
        responses: {
          '200': {
            description: 'Entries',
            ...json({
              type: 'object',
              properties: {
                entries: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, accountId: { type: ['string', 'null'] }, actor: { type: 'string' }, action: { type: 'string' }, target: { type: 'object' }, before: {}, after: {}, reason: { type: ['string', 'null'] }, createdAt: { type: 'string', format: 'date-time' } } } },
                nextCursor: { type: ['string', 'null'] },
              },
            }),
          },
          ...errors,
        },
      },
    },
    '/api/v1/tokens': {
      get: {
        summary: "API tokens, never the tokens themselves: an admin's account's, or (support) every one, optionally one account's",
        parameters: [{ name: 'account', in: 'query', schema: { type: 'string', format: 'uuid' } }],
        responses: { '200': { description: 'Tokens', ...json({ type: 'object', properties: { tokens: { type: 'array', items: tokenSchema } } }) }, ...errors },
      },
    },
    '/api/v1/tokens/{id}': {
      delete: {
        summary: "Revoke a token (an admin: its account's; support: any); from then on it answers 401",
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: { '200': { description: 'The revoked token', ...json({ type: 'object', properties: { token: tokenSchema } }) }, ...errors },
      },
    },
    '/api/v1/survey-events': {
      post: {
        summary: 'Server-side survey submissions: one event, an array, or {events}; all stored or none',
        security: [],
        requestBody: { required: true, ...json({ oneOf: [ref('SurveyEventInput'), { type: 'array', items: ref('SurveyEventInput'), maxItems: 100 }, { type: 'object', properties: { events: { type: 'array', items: ref('SurveyEventInput'), maxItems: 100 } } }] }) },
        responses: { '201': { description: 'Stored events', ...json({ type: 'object', properties: { events: { type: 'array', items: ref('SurveyEvent') } } }) }, '413': { description: 'Body over 64 KB', ...json(ref('Error')) }, '429': { description: 'Rate limited; see Retry-After', ...json(ref('Error')) }, ...errors },
      },
    },
    '/s/{accountKey}': {
      get: {
        summary: 'A survey rating link: checks it and answers an HTML page whose script (or button) records the rating; stores nothing itself, so mail scanners record nothing',
        security: [],
        parameters: linkParameters,
        responses: { '200': { description: 'Confirmation page (text/html)' }, '400': { description: 'Bad input (HTML page)' }, '403': { description: 'Bad or missing required signature' }, '404': { description: 'Unknown account key' }, '413': { description: 'Link too long' }, '429': { description: 'Rate limited' } },
      },
      post: {
        summary:
          "Records the link's rating (sent by the link's page). With a `comment` field (the thank-you page's form, urlencoded; at most 2,000 characters) it attaches the comment to the event the click recorded (same ticket and respondent; without a ticket, the `event` the page names) instead. HTML, or JSON with Accept: application/json. A client marked as automated records nothing (202)",
        security: [],
        parameters: linkParameters,
        requestBody: { required: false, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { comment: { type: 'string', maxLength: 2000 }, event: { type: 'string', format: 'uuid' } } } } } },
        responses: {
          '200': { description: 'Recorded', ...json({ type: 'object', properties: { recorded: { type: 'boolean' }, eventId: { type: 'string', format: 'uuid' }, message: { type: 'string' } } }) },
          '202': { description: 'Automated client: nothing recorded' },
          '400': { description: 'Bad input' },
          '403': { description: 'Bad or missing required signature' },
          '404': { description: 'Unknown account key' },
          '413': { description: 'Link too long' },
          '429': { description: 'Rate limited; see Retry-After' },
        },
      },
    },
    '/healthz': { get: { summary: 'The process is up', security: [], responses: { '200': { description: 'ok' } } } },
    '/readyz': { get: { summary: 'Database reachable and migrations applied', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics of this replica', security: [], responses: { '200': { description: 'text/plain exposition format' } } } },
    '/docs/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3 document' } } } },
    '/s/assets/record.js': { get: { summary: 'The script of the survey page (records the rating on load)', security: [], responses: { '200': { description: 'text/javascript' } } } },
    '/s/assets/survey.css': { get: { summary: 'The stylesheet of the survey pages', security: [], responses: { '200': { description: 'text/css' } } } },
  },
} as const;
