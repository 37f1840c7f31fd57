/** OpenAPI paths of ratings (product.md §12, names of §8), merged into the document by openapi.ts. */
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = { $ref: '#/components/schemas/Error' };
const errors = {
  '400': { description: 'Bad input: every bad filter is named', ...json(error) },
  '401': { description: 'No token or session', ...json(error) },
  '403': { description: 'The role may not do this', ...json(error) },
  '404': { description: 'Not found, or not visible to this caller', ...json(error) },
};
const accountId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const list = (description: string) => ({ type: 'string', description: `${description}; comma-separated (a comma inside a client name is written \\,), or the parameter repeated` });
const filters = [
  { name: 'from', in: 'query', description: "First local day (the account's time zone), included; default 29 days before `to`", schema: { type: 'string', format: 'date' } },
  { name: 'to', in: 'query', description: 'Last local day, included; default today', schema: { type: 'string', format: 'date' } },
  { name: 'members', in: 'query', description: 'Only these engineers (member ids)', schema: list('Member ids') },
  { name: 'clients', in: 'query', description: 'Only these clients (names, case-insensitive; "(no client)" for ratings naming none)', schema: list('Client names') },
  { name: 'excludeMembers', in: 'query', description: 'Leave out these engineers', schema: list('Member ids') },
  { name: 'excludeClients', in: 'query', description: 'Leave out these clients ("(no client)": ratings naming none)', schema: list('Client names') },
];
const figures = {
  count: { type: 'integer' },
  average: { type: ['number', 'null'], description: '0–10, two decimals; null without ratings' },
  positiveShare: { type: ['number', 'null'], description: 'Share of ratings 7–10 (0–1, four decimals); null without ratings' },
  positive: { type: 'integer', description: 'Ratings 7–10' },
  neutral: { type: 'integer', description: 'Ratings 4–6' },
  negative: { type: 'integer', description: 'Ratings 0–3' },
};
export const ratingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    at: { type: 'string', format: 'date-time', description: 'When the rating was first given' },
    rating: { type: 'integer', minimum: 0, maximum: 10 },
    sentiment: { enum: ['positive', 'neutral', 'negative'] },
    memberId: { type: 'string', format: 'uuid' },
    memberName: { type: 'string' },
    client: { type: ['string', 'null'] },
    ticket: { type: ['string', 'null'] },
    comment: { type: ['string', 'null'] },
  },
};
const scopeNote = 'Scoped to the caller: an employee sees only their own ratings; an account manager narrowed by an admin only the chosen engineers and clients (filters narrow within that, never beyond it).';

export const ratingsPaths = {
  '/api/v1/accounts/{id}/ratings/summary': {
    get: {
      summary: `Ratings report: count, average and positive share overall and per engineer, client, local day or ISO week. ${scopeNote}`,
      parameters: [accountId, ...filters, { name: 'groupBy', in: 'query', schema: { enum: ['member', 'client', 'day', 'week'], default: 'member' } }],
      responses: {
        '200': {
          description: 'Member and client groups: those with ratings, by label; day and week groups: every one of the range, in order (empty ones count 0). Client key "" (label "(no client)") holds ratings naming no client; a week key is its Monday, its label the ISO week',
          ...json({
            type: 'object',
            properties: {
              from: { type: 'string', format: 'date' },
              to: { type: 'string', format: 'date' },
              groupBy: { enum: ['member', 'client', 'day', 'week'] },
              overall: { type: 'object', properties: figures },
              groups: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, label: { type: 'string' }, ...figures } } },
            },
          }),
        },
        ...errors,
      },
    },
  },
  '/api/v1/accounts/{id}/ratings': {
    get: {
      summary: `The individual ratings (survey events matched to a member), newest first, in pages. ${scopeNote}`,
      parameters: [accountId, ...filters, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }, { name: 'cursor', in: 'query', description: 'nextCursor of the previous page', schema: { type: 'string' } }],
      responses: { '200': { description: 'Ratings', ...json({ type: 'object', properties: { ratings: { type: 'array', items: ratingSchema }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors },
    },
  },
  '/api/v1/accounts/{id}/members/{memberId}/dashboard': {
    get: {
      summary:
        "One engineer's dashboard, the figures an employee's /me shows: count, average and positive share of all time and of the last 90 days, the 90-day trend by local day (today last), and their ratings with client, ticket and comment, newest first, in pages. An employee reads only their own member; admins and support any; an account manager the engineers it sees (of the clients it sees: a manager narrowed by clients reads only those clients' ratings)",
      parameters: [
        accountId,
        { name: 'memberId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        { name: 'cursor', in: 'query', description: 'nextCursor of the previous page of ratings', schema: { type: 'string' } },
      ],
      responses: {
        '200': {
          description: 'The dashboard',
          ...json({
            type: 'object',
            properties: {
              member: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } } },
              today: { type: 'string', format: 'date', description: "Today in the account's time zone: the trend's last day" },
              overall: { type: 'object', properties: { count: figures.count, average: figures.average, positiveShare: figures.positiveShare } },
              last90Days: { type: 'object', properties: { count: figures.count, average: figures.average, positiveShare: figures.positiveShare } },
              trend: { type: 'array', description: '90 days, oldest first', items: { type: 'object', properties: { key: { type: 'string', format: 'date' }, label: { type: 'string' }, ...figures } } },
              ratings: { type: 'array', items: ratingSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          }),
        },
        ...errors,
      },
    },
  },
  '/api/v1/accounts/{id}/ratings.csv': {
    get: {
      summary: `The same ratings as CSV (header at,rating,sentiment,member_id,member_name,client,ticket,comment); a cell starting with = + - @, tab or carriage return is prefixed with ' so spreadsheets do not run it. ${scopeNote}`,
      parameters: [accountId, ...filters],
      responses: { '200': { description: 'text/csv attachment' }, ...errors },
    },
  },
  '/api/v1/accounts/{id}/ratings/import': {
    post: {
      summary:
        'History import (admin): past ratings from another survey tool, matched like live events (unknown agents stay unmatched on ConnectWise/Autotask accounts and are added on halopsa/snippet ones). All rows or none: the first bad row is named by number and field. Rows whose ticket and respondent the account already has are left alone, so importing the same rows again changes nothing. `at`: an ISO 8601 instant, or a local date or date-time in the account time zone',
      parameters: [accountId],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['rows'],
              properties: {
                rows: {
                  type: 'array',
                  maxItems: 100_000,
                  items: {
                    type: 'object',
                    required: ['at', 'rating'],
                    properties: {
                      at: { type: 'string' },
                      rating: { type: 'integer', minimum: 0, maximum: 10 },
                      ticket: { type: 'string', maxLength: 64 },
                      respondent: { type: 'string', maxLength: 320 },
                      client: { type: 'string', maxLength: 200 },
                      comment: { type: 'string', maxLength: 2000 },
                      agentId: { type: 'string' },
                      agentEmail: { type: 'string' },
                      agentName: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
          'text/csv': { schema: { type: 'string', description: 'Header at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name (any order; at and rating required)' } },
        },
      },
      responses: {
        '200': {
          description: 'Imported',
          ...json({ type: 'object', properties: { imported: { type: 'integer' }, matched: { type: 'integer' }, unmatched: { type: 'integer' }, unchanged: { type: 'integer', description: 'Rows already there, left alone' }, membersAdded: { type: 'integer' } } }),
        },
        '413': { description: 'Body over 32 MB', ...json(error) },
        ...errors,
      },
    },
  },
};
