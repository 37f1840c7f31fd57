import { z } from 'zod';
import type { Connector } from '../../src/connector/contract.js';
import { InputError, SyncError } from '../../src/core/errors.js';
import { describeIssues } from '../connectwise/index.js';

const settingsSchema = z.object({ requireSignedLinks: z.boolean().default(false) }).strict();

export type SnippetSettings = z.infer<typeof settingsSchema>;

/**
 * The HTML survey snippet: no PSA to read. Members come from a setup import and from the agents
 * named in survey activity; nothing is ever deactivated automatically (product.md §2).
 */
export const snippetConnector: Connector<SnippetSettings> = {
  integration: 'snippet',
  displayName: 'survey snippet',
  rosterPolicy: 'none',
  parseSettings(raw) {
    const result = settingsSchema.safeParse(raw ?? {});
    if (!result.success) throw new InputError(`invalid snippet settings: ${describeIssues(result.error)}`);
    return result.data;
  },
  publicSettings(s) {
    return { requireSignedLinks: s.requireSignedLinks };
  },
  createReader() {
    throw new SyncError('config', 'a snippet account has no PSA to sync; import its members with `psa-sync members import ACCOUNT FILE`');
  },
  mergeFields: {
    ticket: '{{ticket_number}}',
    agentId: '{{agent_id}}',
    agentEmail: '{{agent_email}}',
    agentName: '{{agent_name}}',
    note: 'Replace the {{…}} placeholders with your help desk’s merge fields for the ticket number and the assigned agent.',
  },
};
