/** OpenAPI paths of the sync scope (product.md §2, names of §8), merged into the document by openapi.ts. */
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = { $ref: '#/components/schemas/Error' };
const accountId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const ids = (what: string) => ({ type: 'array', items: { type: 'string' }, maxItems: 500, description: `Chosen ${what} (PSA ids); empty: every one` });
const choiceList = { type: 'array', items: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } } };
const scope = {
  type: 'object',
  required: ['memberTypes', 'departments', 'locations'],
  properties: { memberTypes: ids('member types (ConnectWise)'), departments: ids('departments'), locations: ids('locations') },
};
const dimension = { enum: ['memberTypes', 'departments', 'locations'] };

const scopeView = {
  type: 'object',
  required: ['scope', 'dimensions', 'choices', 'choicesError', 'words'],
  properties: {
    scope,
    dimensions: { type: 'array', items: dimension, description: 'What this PSA can narrow by: ConnectWise all three, Autotask departments and locations, HaloPSA and snippet accounts none' },
    choices: {
      oneOf: [
        { type: 'object', properties: { memberTypes: choiceList, departments: choiceList, locations: choiceList }, description: 'Read live from the PSA; a dimension the PSA has no scope for has none' },
        { type: 'null' },
      ],
    },
    choicesError: {
      oneOf: [{ type: 'null' }, { type: 'object', properties: { code: { const: 'psa_unavailable' }, kind: { type: 'string', description: 'How the PSA read failed: auth, network, rate_limited, …' }, message: { type: 'string' } } }],
      description: 'Set when the choices could not be read; the stored scope is still answered',
    },
    words: { type: 'string', description: 'The scope in words, with the names the PSA gave, e.g. "departments Service Desk, Projects" or "everyone"' },
  },
};

export const scopePaths = {
  '/api/v1/accounts/{id}/scope': {
    get: {
      summary: 'The sync scope (which PSA members are staff) with its choices read live from the PSA, names and ids (admin, account manager, support)',
      parameters: [accountId],
      responses: {
        '200': { description: 'The stored scope; when the PSA cannot be read, choices is null and choicesError says why', ...json(scopeView) },
        '401': { description: 'No token or session', ...json(error) },
        '403': { description: 'The role may not read the account', ...json(error) },
        '404': { description: 'Not found, or not visible to this caller', ...json(error) },
      },
    },
    put: {
      summary:
        'Set the sync scope (admin): lists of ids per dimension, empty or absent for all. Members the PSA reports active but outside it move to Inactive Synced (inactiveReason out_of_scope) at the next sync, under the circuit breaker; a scope matching nobody is held and never applied; members back inside return as in rule 7. Each newly chosen id must be one the PSA lists now. With dryRun=true nothing is stored: the answer is what a sync would do',
      parameters: [accountId, { name: 'dryRun', in: 'query', schema: { enum: ['true', '1'] }, description: 'Plan a sync under this scope (reads the PSA), store nothing' }],
      requestBody: {
        required: true,
        ...json({ type: 'object', additionalProperties: false, properties: { memberTypes: ids('member types'), departments: ids('departments'), locations: ids('locations'), reason: { type: 'string', maxLength: 500, description: 'Kept in the audit trail' } } }),
      },
      responses: {
        '200': {
          description: 'Saved (or unchanged), with what the next sync will do; with dryRun, the planned run and its changes',
          ...json({
            oneOf: [
              { type: 'object', properties: { scope, changed: { type: 'boolean' }, message: { type: 'string' } } },
              { type: 'object', properties: { scope, run: { $ref: '#/components/schemas/Run' }, changes: { type: 'array', items: { $ref: '#/components/schemas/Change' } } } },
            ],
          }),
        },
        '400': { description: 'Bad input, nothing stored: every bad dimension or id is named (a dimension this PSA has no scope for, an id it does not list, too many ids)', ...json(error) },
        '401': { description: 'No token or session', ...json(error) },
        '403': { description: 'Not an admin of this account', ...json(error) },
        '404': { description: 'Not found, or not visible to this caller', ...json(error) },
        '502': { description: 'The PSA could not be read to check the newly chosen ids; nothing stored', ...json(error) },
      },
    },
  },
};
