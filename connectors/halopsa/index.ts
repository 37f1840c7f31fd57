import { z } from 'zod';
import type { Connector } from '../../src/connector/contract.js';
import { InputError } from '../../src/core/errors.js';
import { refusePsaHost } from '../../src/connector/psa-host.js';
import { describeIssues } from '../connectwise/index.js';
import { HaloReader } from './client.js';
import { HaloTokenCache } from './token.js';
import type { HaloSettings } from './types.js';

const url = (example: string) =>
  z
    .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
    .url(`must be a URL such as ${example}`)
    .transform((v) => v.replace(/\/+$/, ''))
    .superRefine(refusePsaHost);
const required = () => z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).min(1, 'is required');

const settingsSchema = z
  .object({
    baseUrl: url('https://acme.halopsa.com'),
    clientId: required(),
    clientSecret: required(),
    tenant: z.string().min(1).optional(),
    authUrl: url('https://auth.haloservicedesk.com/auth').optional(),
  })
  .strict();

/**
 * HaloPSA: agents imported at setup, refreshed daily, never added or deactivated by a sync
 * (product.md §2). Each connector instance keeps its own token cache.
 */
export function createHaloConnector(): Connector<HaloSettings> {
  const tokens = new HaloTokenCache();
  return {
    integration: 'halopsa',
    displayName: 'HaloPSA',
    rosterPolicy: 'directory',
    parseSettings(raw) {
      const result = settingsSchema.safeParse(raw);
      if (!result.success) throw new InputError(`invalid HaloPSA settings: ${describeIssues(result.error)}`);
      return result.data;
    },
    publicSettings(s) {
      return { baseUrl: s.baseUrl, clientId: s.clientId, ...(s.tenant ? { tenant: s.tenant } : {}), ...(s.authUrl ? { authUrl: s.authUrl } : {}) };
    },
    createReader(settings, context) {
      return new HaloReader(settings, context, tokens.sourceFor(settings, context));
    },
    // Halo's template variable names are not confirmed (psa-api-facts §3.2); {TICKETID} follows its ticket tag.
    mergeFields: {
      ticket: '{TICKETID}',
      agentId: '{AGENT_ID}',
      agentEmail: '{AGENT_EMAIL}',
      agentName: '{AGENT_NAME}',
      note: 'HaloPSA email template variable names are not confirmed; check {AGENT_ID}, {AGENT_EMAIL} and {AGENT_NAME} against your Halo variable list.',
    },
  };
}
