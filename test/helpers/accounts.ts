import type { App } from '../../src/app.js';
import { AT_CREDENTIALS } from '../fakes/autotask-fake.js';
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

/** Adds an Autotask account whose zone is discovered at `origin`/atservicesrest/ with the fake's credentials. */
export async function addAtAccount(app: App, origin: string, options: { seatLimit?: number; breakerPercent?: number; breakerMinMembers?: number; settings?: Partial<typeof AT_CREDENTIALS> & { zoneUrl?: string } } = {}) {
  return app.accounts.add({
    name: `Autotask ${++n} ${Date.now()}`,
    integration: 'autotask',
    settings: { ...AT_CREDENTIALS, discoveryUrl: `${origin}/atservicesrest/`, ...options.settings },
    seatLimit: options.seatLimit,
    breakerPercent: options.breakerPercent,
    breakerMinMembers: options.breakerMinMembers,
  });
}
