import { z } from 'zod';
import type { Connector, ConnectorContext } from '../../src/connector/contract.js';
import { ThrottleBudget } from '../../src/connector/throttle.js';
import { InputError } from '../../src/core/errors.js';
import { refusePsaHost } from '../../src/connector/psa-host.js';
import { describeIssues } from '../connectwise/index.js';
import { AutotaskApi } from './client.js';
import { Gate } from './gate.js';
import { AutotaskReader, readScopeChoices } from './reader.js';
import type { AutotaskSettings } from './types.js';
import { ZoneCache, zoneBase } from './zone.js';

/** Where zones are discovered unless the settings say otherwise (psa-api-facts §5.1). */
export const DEFAULT_DISCOVERY_URL = 'https://webservices.autotask.net/atservicesrest/';
/** Autotask's thread limit per integration and endpoint (psa-api-facts §5.4). */
export const MAX_IN_FLIGHT = 3;

const required = () => z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).trim().min(1, 'is required');
const restBase = (example: string) =>
  z
    .string({ invalid_type_error: 'must be a string' })
    .transform((v, ctx) => {
      const base = zoneBase(v);
      if (!base) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be an http(s) URL such as ${example}` });
      else refusePsaHost(base, ctx);
      return base ?? v;
    });

const settingsSchema = z
  .object({
    userName: required(),
    secret: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'is required'),
    integrationCode: required(),
    zoneUrl: restBase('https://webservices5.autotask.net/atservicesrest/').optional(),
    discoveryUrl: restBase(DEFAULT_DISCOVERY_URL).default(DEFAULT_DISCOVERY_URL),
  })
  .strict();

/**
 * Autotask PSA (Datto/Kaseya): the source of truth for its accounts' members, like ConnectWise
 * (product.md §2). Each connector instance keeps its accounts' zones and their request gates (at
 * most 3 in flight per account, whichever run or test of the account sends them).
 */
export function createAutotaskConnector(): Connector<AutotaskSettings> {
  const zones = new ZoneCache();
  const gates = new Map<string, Gate>();
  const gateOf = (s: AutotaskSettings) => {
    const key = ZoneCache.key(s);
    let gate = gates.get(key);
    if (!gate) gates.set(key, (gate = new Gate(MAX_IN_FLIGHT)));
    return gate;
  };
  // One throttle budget for every request of a run, the zone lookup included.
  const apiFor = (s: AutotaskSettings, ctx: ConnectorContext) => {
    const run = { ...ctx, throttle: ctx.throttle ?? new ThrottleBudget(ctx.policy.rateLimitBudgetMs) };
    return { api: new AutotaskApi(s, run, zones, gateOf(s)), run };
  };
  return {
    integration: 'autotask',
    displayName: 'Autotask',
    rosterPolicy: 'authoritative',
    parseSettings(raw) {
      const result = settingsSchema.safeParse(raw);
      if (!result.success) throw new InputError(`invalid Autotask settings: ${describeIssues(result.error)}`);
      return result.data;
    },
    publicSettings(s) {
      return { userName: s.userName, zoneUrl: s.zoneUrl ?? '(discovered)', ...(s.discoveryUrl !== DEFAULT_DISCOVERY_URL ? { discoveryUrl: s.discoveryUrl } : {}) };
    },
    createReader(settings, context) {
      const { api, run } = apiFor(settings, context);
      return new AutotaskReader(api, run);
    },
    scopeDimensions: ['departments', 'locations'],
    async scopeChoices(settings, context, signal) {
      return readScopeChoices(apiFor(settings, context).api, signal);
    },
    // Autotask's notification-template variables are not in the fact sheet: placeholders to check.
    mergeFields: {
      ticket: '[Ticket:Ticket Number]',
      agentEmail: '[Ticket:Primary Resource Email]',
      agentName: '[Ticket:Primary Resource]',
      note: 'Autotask notification template variable names are not confirmed; check [Ticket:Ticket Number], [Ticket:Primary Resource] and [Ticket:Primary Resource Email] against the variable list of your ticket notification template.',
    },
  };
}
