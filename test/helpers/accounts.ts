import type { App } from '../../src/app.js';
import { FAKE_CREDENTIALS } from '../fakes/connectwise-fake.js';

let n = 0;

/** Adds a ConnectWise account pointing at `site` with the fake's credentials. */
export async function addCwAccount(app: App, site: string, options: { seatLimit?: number; breakerPercent?: number; breakerMinMembers?: number; credentials?: Partial<typeof FAKE_CREDENTIALS> } = {}) {
  return app.accounts.add({
    name: `Acme ${++n} ${Date.now()}`,
    integration: 'connectwise',
    settings: { site, ...FAKE_CREDENTIALS, ...options.credentials, codebase: 'v2025_1/' },
    seatLimit: options.seatLimit,
    breakerPercent: options.breakerPercent,
    breakerMinMembers: options.breakerMinMembers,
  });
}
