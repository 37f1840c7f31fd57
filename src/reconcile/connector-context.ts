import type { Connector, ConnectorContext, Integration, ScopeChoices } from '../connector/contract.js';
import { ThrottleBudget } from '../connector/throttle.js';
import { SyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AccountRecord } from '../db/account-repository.js';
import type { EngineDeps } from './engine-deps.js';
import type { ConnectorReader } from './read-roster.js';

/** What a connector gets for one run (or one connection test): the logger, the HTTP policy and observer, a fresh throttle budget. */
export function connectorContext(deps: EngineDeps, logger: Logger): ConnectorContext {
  return { logger, policy: deps.httpPolicy, observer: deps.observer, throttle: new ThrottleBudget(deps.httpPolicy.rateLimitBudgetMs) };
}

/** The account's connector settings, opened; a `config` SyncError when they are unusable. */
function openSettings(deps: EngineDeps, connector: Connector, account: AccountRecord): unknown {
  try {
    return connector.parseSettings(JSON.parse(deps.secretBox().open(account.settingsSealed)));
  } catch (err) {
    throw new SyncError('config', `the account's ${connector.displayName} settings are unusable: ${(err as Error).message}`, { cause: err });
  }
}

/** A reader for the account's PSA, from its sealed settings. */
export function readerFor(deps: EngineDeps, account: AccountRecord, logger: Logger): ConnectorReader {
  const connector = deps.registry.get(account.integration);
  const settings = openSettings(deps, connector, account);
  const context = connectorContext(deps, logger);
  return { psa: connector.displayName, reader: connector.createReader(settings, context) };
}

/**
 * The sync scope's choices (names and ids), read live from the account's PSA with the same
 * context as a sync: its HTTP policy, throttle budget and, for Autotask, its requests-in-flight
 * gate. Empty for a PSA without a scope. Throws the SyncError a sync would.
 */
export async function readScopeChoices(deps: EngineDeps, account: AccountRecord, signal?: AbortSignal): Promise<ScopeChoices> {
  const connector = deps.registry.get(account.integration);
  if (!connector.scopeChoices) return {};
  const settings = openSettings(deps, connector, account);
  return connector.scopeChoices(settings, connectorContext(deps, deps.logger.child({ accountId: account.id })), signal);
}

/**
 * Checks settings against the PSA before an account is saved (the console's "test connection"):
 * authenticates and reads the member count, or the first page when the PSA gives no count.
 * Throws the SyncError a sync would (auth, network, …), whose words say what to fix.
 */
export async function testConnection(deps: EngineDeps, integration: Integration, rawSettings: unknown): Promise<{ members: number | null }> {
  const connector = deps.registry.get(integration);
  const settings = connector.parseSettings(rawSettings);
  if (connector.rosterPolicy === 'none') return { members: null };
  const context = connectorContext(deps, deps.logger);
  const reader = connector.createReader(settings, context);
  const count = await reader.expectedCount();
  if (count !== undefined) return { members: count };
  for await (const page of reader.pages()) return { members: page.members.length };
  return { members: 0 };
}
