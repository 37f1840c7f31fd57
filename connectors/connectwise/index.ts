import { z } from 'zod';
import type { Connector } from '../../src/connector/contract.js';
import { InputError } from '../../src/core/errors.js';
import { refusePsaHost } from '../../src/connector/psa-host.js';
import { ConnectWiseReader } from './client.js';
import { ConnectWiseCallbacks } from './callbacks.js';
import type { ConnectWiseSettings } from './types.js';

const required = (message = 'is required') => z.string({ required_error: message, invalid_type_error: 'must be a string' }).min(1, message);

const settingsSchema = z
  .object({
    site: required()
      .url('must be a URL such as https://api-na.myconnectwise.net')
      .transform((v) => v.replace(/\/+$/, ''))
      .refine((v) => /^https?:\/\/[^/]+$/.test(v), 'must be a scheme and host only, without a path')
      .superRefine(refusePsaHost),
    companyId: required(),
    publicKey: required(),
    privateKey: required(),
    clientId: required('is required (a ConnectWise developer clientId GUID)'),
    codebase: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/?$/, 'must look like v4_6_release/')
      .transform((v) => (v.endsWith('/') ? v : `${v}/`))
      .optional(),
    apiVersion: z.string().regex(/^\d{4}\.\d+$/, 'must look like 2025.16').default('2025.16'),
  })
  .strict();

/** Zod issue text naming fields only, so that a secret given in the wrong place is never echoed. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'settings'} ${i.message}`).join('; ');
}

/** ConnectWise PSA: the source of truth for its accounts' members (product.md §2). */
export const connectWiseConnector: Connector<ConnectWiseSettings> = {
  integration: 'connectwise',
  displayName: 'ConnectWise',
  rosterPolicy: 'authoritative',
  parseSettings(raw) {
    const result = settingsSchema.safeParse(raw);
    if (!result.success) throw new InputError(`invalid ConnectWise settings: ${describeIssues(result.error)}`);
    return result.data;
  },
  publicSettings(s) {
    return { site: s.site, companyId: s.companyId, codebase: s.codebase ?? '(discovered)', apiVersion: s.apiVersion };
  },
  createReader(settings, context) {
    return new ConnectWiseReader(settings, context);
  },
  scopeDimensions: ['memberTypes', 'departments', 'locations'],
  async scopeChoices(settings, context, signal) {
    return new ConnectWiseReader(settings, context).scopeChoices(signal);
  },
  callbacks(settings, context) {
    return new ConnectWiseCallbacks(settings, context);
  },
  // [srnumber] and [memberid] (the member identifier) are confirmed ConnectWise template tokens.
  mergeFields: {
    ticket: '[srnumber]',
    agentIdentifier: '[memberid]',
    note: 'ConnectWise tokens for the member email and full name are not confirmed; [memberid] identifies the member.',
  },
};
