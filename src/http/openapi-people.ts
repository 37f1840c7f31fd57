/** OpenAPI paths of people and sign-in (product.md §7–§8), merged into the document by openapi.ts. */
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = { $ref: '#/components/schemas/Error' };
const errors = {
  '400': { description: 'Bad input, or a link that is unknown, used or expired (code link_invalid)', ...json(error) },
  '401': { description: 'Not signed in, or a wrong email or password', ...json(error) },
  '403': { description: 'The role may not do this; a missing CSRF token; a request from another site; a suspended sign-in', ...json(error) },
  '404': { description: 'Not found, or not visible to this caller', ...json(error) },
  '409': { description: 'Refused by a rule: the last admin, a member not Active or without email, one sign-in per email', ...json(error) },
};
const accountId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const personId = { name: 'personId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

const scopePart = {
  oneOf: [
    { type: 'null' },
    { type: 'object', required: ['include'], additionalProperties: false, properties: { include: { type: 'array', items: { type: 'string' } } } },
    { type: 'object', required: ['exclude'], additionalProperties: false, properties: { exclude: { type: 'array', items: { type: 'string' } } } },
  ],
};

const hidden = { type: 'integer', minimum: 1, description: 'How many names of this list are hidden from the caller (a manager narrowed by clients reads only the clients it sees; an employee reads none); absent when none is' };
/** A client list as the caller is shown it. */
const shownClients = {
  oneOf: [
    { type: 'null' },
    { type: 'object', required: ['include'], additionalProperties: false, properties: { include: { type: 'array', items: { type: 'string' } }, hidden } },
    { type: 'object', required: ['exclude'], additionalProperties: false, properties: { exclude: { type: 'array', items: { type: 'string' } }, hidden } },
  ],
};

export const personSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    accountId: { type: ['string', 'null'] },
    memberId: { type: ['string', 'null'], description: 'null only for support, or a first admin invited before their member exists' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { enum: ['admin', 'account_manager', 'employee', 'support'] },
    state: { enum: ['invited', 'active', 'suspended'], description: 'suspended: their member is not Active (lifts when it is again)' },
    activatedAt: { type: ['string', 'null'], format: 'date-time' },
    suspendedAt: { type: ['string', 'null'], format: 'date-time' },
    memberScope: { type: ['array', 'null'], items: { type: 'string', format: 'uuid' }, description: 'An account manager narrowed to chosen members (include): those members; null otherwise (see scope)' },
    scope: {
      type: 'object',
      description: 'What an account manager sees: engineers (member ids) and clients (names), each {include: [...]} or {exclude: [...]}; null: all. Client names hidden from the caller are left out and counted in hidden',
      properties: { members: scopePart, clients: shownClients },
    },
    invitationExpiresAt: { type: ['string', 'null'], format: 'date-time' },
    invitedBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};
const mail = { oneOf: [{ type: 'object', properties: { sent: { const: true }, channel: { enum: ['smtp', 'outbox'] } } }, { type: 'object', properties: { sent: { const: false }, error: { type: 'string' } } }] };
const invited = json({ type: 'object', properties: { person: personSchema, mail } });
const signedIn = {
  description: 'Signed in: the psa_session cookie is set (HttpOnly, SameSite=Lax); send csrfToken as x-csrf-token with every change',
  ...json({ type: 'object', properties: { person: personSchema, csrfToken: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } }),
};
const password = { type: 'string', description: '8–50 characters with an upper-case letter, a lower-case letter, a digit and a special character; every rule broken is named' };
const body = (properties: Record<string, unknown>, required: string[]) => ({ required: true, ...json({ type: 'object', additionalProperties: false, required, properties }) });
const reason = { type: 'string', maxLength: 500 };

export const peoplePaths = {
  '/api/v1/accounts/{id}/people': {
    get: { summary: "The account's people: role, state, pending invitation, a manager's members (admin, un-narrowed account manager, support)", parameters: [accountId], responses: { '200': { description: 'People', ...json({ type: 'object', properties: { people: { type: 'array', items: personSchema } } }) }, ...errors } },
    post: {
      summary: "Give a role to an Active member with an email (memberId, or email naming one) and mail an activation link valid 7 days (admin; support: only an account's first admin, who may be invited by email before their member exists). Inviting again with the same role resends",
      parameters: [accountId],
      requestBody: body({ memberId: { type: 'string', format: 'uuid' }, email: { type: 'string' }, role: { enum: ['admin', 'account_manager', 'employee'] }, reason }, ['role']),
      responses: { '201': { description: 'Invited; mail says whether the email went out', ...invited }, ...errors },
    },
  },
  '/api/v1/accounts/{id}/people/{personId}': {
    patch: {
      summary:
        "Change a role, or narrow an account manager (admin): scope {members, clients}, each {include: [...]} or {exclude: [...]} or null for all (an absent part is left as it is); memberScope (member ids to include; null: all) is the older form of scope.members. A hidden engineer or client disappears for them from every report, list, total and export. Each list holds at most 1,000 engineers or clients (a longer one is a 400 naming the limit). Demoting the last admin who can sign in is refused",
      parameters: [accountId, personId],
      requestBody: body({ role: { enum: ['admin', 'account_manager', 'employee'] }, memberScope: { type: ['array', 'null'], items: { type: 'string', format: 'uuid' } }, scope: { type: 'object', properties: { members: scopePart, clients: scopePart } }, reason }, []),
      responses: { '200': { description: 'Person', ...json({ type: 'object', properties: { person: personSchema } }) }, ...errors },
    },
    delete: {
      summary: 'Take away a sign-in; the member stays (admin). The last admin who can sign in cannot be removed',
      parameters: [accountId, personId, { name: 'reason', in: 'query', schema: reason }],
      responses: { '200': { description: 'The removed person', ...json({ type: 'object', properties: { person: personSchema } }) }, ...errors },
    },
  },
  '/api/v1/accounts/{id}/people/{personId}/invitation': {
    post: { summary: 'Resend the activation email; earlier links stop working (admin)', parameters: [accountId, personId], responses: { '200': { description: 'Resent', ...invited }, ...errors } },
  },
  '/api/v1/me': {
    get: {
      summary: 'Who is calling: kind (session or token), role, account, person, the members they may see, and (session) the CSRF token',
      responses: { '200': { description: 'Caller', ...json({ type: 'object', properties: { kind: { enum: ['session', 'token'] }, role: { type: 'string' }, account: { type: ['object', 'null'] }, person: { oneOf: [personSchema, { type: 'null' }] }, memberScope: { type: ['array', 'null'], description: 'An include list of member ids (an employee: their own member; a manager narrowed to chosen engineers: those); null otherwise' }, scope: { type: 'object', description: 'What the caller sees: members {include|exclude: ids} or null (all); clients as in a person\'s scope', properties: { members: scopePart, clients: shownClients } }, clientScope: { type: ['object', 'null'], description: 'A manager narrowed by clients: {mode, names, hidden}; an exclude list names no client (those are the ones hidden from them), it counts them in hidden', properties: { mode: { enum: ['include', 'exclude'] }, names: { type: 'array', items: { type: 'string' } }, hidden } }, csrfToken: { type: 'string' } } }) }, ...errors },
    },
  },
  '/api/v1/accounts/{id}/webhooks': {
    get: { summary: "The account's webhook endpoints: state (enabled, or disabled and why) and latest delivery attempts (admin, account manager, support)", parameters: [accountId], responses: { '200': { description: 'Endpoints', ...json({ type: 'object', properties: { webhooks: { type: 'array', items: { type: 'object' } } } }) }, ...errors } },
    post: {
      summary: 'Add an endpoint (admin). Answers its signing secret (whsec_…) once. Private and loopback addresses are refused unless PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true; link-local and cloud metadata addresses always are',
      parameters: [accountId],
      requestBody: body({ url: { type: 'string' } }, ['url']),
      responses: { '201': { description: 'Added', ...json({ type: 'object', properties: { endpoint: { type: 'object' }, secret: { type: 'string' } } }) }, ...errors },
    },
  },
  '/api/v1/accounts/{id}/webhooks/{webhookId}': {
    delete: { summary: 'Remove an endpoint (admin)', parameters: [accountId, { name: 'webhookId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }], responses: { '200': { description: 'Removed' }, ...errors } },
  },
  '/api/v1/accounts/{id}/webhooks/{webhookId}/test': {
    post: { summary: 'Send a test event to one endpoint (admin); its delivery shows in the attempts', parameters: [accountId, { name: 'webhookId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }], responses: { '202': { description: 'Queued' }, ...errors } },
  },
  '/api/v1/accounts/{id}/callbacks': {
    post: { summary: "Register psa-sync's ConnectWise member callback (admin); finds and reuses its own entry, never touches others", parameters: [accountId], requestBody: body({ url: { type: 'string', description: "psa-sync's public base URL" } }, ['url']), responses: { '200': { description: 'Registered', ...json({ type: 'object', properties: { callback: { type: 'object' }, reused: { type: 'boolean' } } }) }, ...errors } },
    delete: { summary: "Remove psa-sync's own ConnectWise callback (admin)", parameters: [accountId], responses: { '200': { description: 'Removed', ...json({ type: 'object', properties: { removed: { type: 'array', items: { type: 'integer' } } } }) }, ...errors } },
  },
  '/hooks/connectwise/{accountKey}': {
    post: {
      summary: 'A ConnectWise member callback (signed with x-content-signature). Its CompanyId must be the account\'s company, and its key is fetched only from the account\'s own ConnectWise host, cached, within a small per-account budget. Queues the member for a coalesced re-read; duplicates (same MessageId) are dropped. A bad callback is always a 4xx naming why, never a 5xx',
      security: [],
      parameters: [{ name: 'accountKey', in: 'path', required: true, schema: { type: 'string' } }, { name: 'x-content-signature', in: 'header', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'queued, duplicate or ignored', ...json({ type: 'object', properties: { status: { enum: ['queued', 'duplicate', 'ignored'] } } }) }, '400': { description: 'Bad payload', ...json(error) }, '401': { description: "Missing or bad signature, another company's callback, or a signing key that could not be fetched or read (the reason is in the message)", ...json(error) }, '404': { description: 'No ConnectWise account has this address', ...json(error) }, '429': { description: 'Too many signing-key fetches for this account; see Retry-After', ...json(error) } },
    },
  },
  '/api/v1/auth/activate': { post: { summary: 'Set the first password with an activation link (single use, 7 days) and sign in', security: [], requestBody: body({ token: { type: 'string' }, password }, ['token', 'password']), responses: { '200': signedIn, ...errors } } },
  '/api/v1/auth/reset': { post: { summary: 'Set a new password with a reset link (single use, 1 hour), end other sessions, and sign in', security: [], requestBody: body({ token: { type: 'string' }, password }, ['token', 'password']), responses: { '200': signedIn, ...errors } } },
  '/api/v1/auth/login': {
    post: { summary: 'Sign in with email and password. Failures are limited per address and per person (429 with Retry-After)', security: [], requestBody: body({ email: { type: 'string' }, password: { type: 'string' } }, ['email', 'password']), responses: { '200': signedIn, '429': { description: 'Too many failed sign-ins', ...json(error) }, ...errors } },
  },
  '/api/v1/auth/forgot': {
    post: { summary: 'Mail a reset link valid 1 hour; answers the same whether or not the email exists', security: [], requestBody: body({ email: { type: 'string' } }, ['email']), responses: { '202': { description: 'Accepted', ...json({ type: 'object', properties: { status: { const: 'accepted' }, message: { type: 'string' } } }) }, ...errors } },
  },
  '/api/v1/auth/logout': { post: { summary: 'End this console session (a token is revoked instead)', responses: { '200': { description: 'Signed out; the cookie is cleared' }, ...errors } } },
} as const;
