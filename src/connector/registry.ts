import { NotFoundError } from '../core/errors.js';
import type { Connector, Integration } from './contract.js';

/** The connectors this process knows, by integration name. */
export class ConnectorRegistry {
  readonly #connectors = new Map<Integration, Connector>();

  constructor(connectors: Connector<any>[]) {
    for (const c of connectors) this.#connectors.set(c.integration, c);
  }

  get(integration: Integration): Connector {
    const c = this.#connectors.get(integration);
    if (!c) throw new NotFoundError(`no connector is installed for integration "${integration}"`);
    return c;
  }

  has(integration: string): integration is Integration {
    return this.#connectors.has(integration as Integration);
  }
}
