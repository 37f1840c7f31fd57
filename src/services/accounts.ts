import { randomUUID } from 'node:crypto';
import type { Orm } from '../db/orm.js';
import { INTEGRATIONS, type Integration } from '../connector/contract.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError } from '../core/errors.js';
import type { SecretBox } from '../core/secret-box.js';
import { insertAccount, listAccountsWithLastRun, type AccountRecord } from '../db/account-repository.js';
import { iso, type AccountView } from '../db/views.js';

export interface AddAccountInput {
  name: string;
  integration: string;
  /** The connector's settings, secrets included, as parsed JSON. */
  settings: unknown;
  seatLimit?: number;
  syncAt?: string;
  timezone?: string;
  breakerPercent?: number;
  breakerMinMembers?: number;
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Creates and lists accounts; connector settings are validated by the connector, then sealed. */
export class AccountService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly secretBox: () => SecretBox,
    private readonly clock: Clock,
  ) {}

  async add(input: AddAccountInput): Promise<AccountView> {
    const name = input.name.trim();
    if (name === '') throw new InputError('account name must not be empty');
    if (!(INTEGRATIONS as readonly string[]).includes(input.integration)) {
      throw new InputError(`integration must be one of ${INTEGRATIONS.join(', ')} (got "${input.integration}")`);
    }
    const integration = input.integration as Integration;
    const connector = this.registry.get(integration);
    const settings = connector.parseSettings(input.settings);
    if (input.seatLimit !== undefined && (!Number.isInteger(input.seatLimit) || input.seatLimit < 0)) {
      throw new InputError('seat limit must be a whole number of members, 0 or more');
    }
    if (input.syncAt !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(input.syncAt)) {
      throw new InputError(`sync time must be HH:MM on a 24-hour clock (got "${input.syncAt}")`);
    }
    const timezone = input.timezone ?? 'UTC';
    if (!validTimezone(timezone)) throw new InputError(`unknown IANA time zone "${timezone}"`);
    const breakerPercent = input.breakerPercent ?? 20;
    if (!Number.isInteger(breakerPercent) || breakerPercent < 0 || breakerPercent > 100) throw new InputError('breaker percent must be 0–100');
    const breakerMinMembers = input.breakerMinMembers ?? 5;
    if (!Number.isInteger(breakerMinMembers) || breakerMinMembers < 0) throw new InputError('breaker minimum must be 0 or more');

    const em = this.orm.em.fork();
    try {
      const record = await insertAccount(
        em,
        {
          id: randomUUID(),
          name,
          integration,
          settingsSealed: this.secretBox().seal(JSON.stringify(settings)),
          seatLimit: input.seatLimit ?? null,
          syncAt: input.syncAt ?? null,
          timezone,
          breakerPercent,
          breakerMinMembers,
        },
        this.clock.now(),
      );
      return this.view(record, null);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new ConflictError(`an account named "${name}" already exists`, { cause: err });
      throw err;
    }
  }

  async list(): Promise<AccountView[]> {
    const rows = await listAccountsWithLastRun(this.orm.em.fork());
    return rows.map((r) => this.view(r, r.lastRun));
  }

  private view(a: AccountRecord, lastRun: Record<string, any> | null): AccountView {
    let settings: Record<string, unknown>;
    try {
      const connector = this.registry.get(a.integration);
      settings = connector.publicSettings(connector.parseSettings(JSON.parse(this.secretBox().open(a.settingsSealed))));
    } catch {
      settings = { unreadable: true };
    }
    return {
      id: a.id,
      name: a.name,
      integration: a.integration,
      settings,
      seatLimit: a.seatLimit,
      syncAt: a.syncAt,
      timezone: a.timezone,
      breaker: { percent: a.breakerPercent, minMembers: a.breakerMinMembers },
      createdAt: iso(a.createdAt)!,
      lastRun: lastRun
        ? {
            id: lastRun.id,
            status: lastRun.status,
            finishedAt: iso(lastRun.finished_at),
            error: lastRun.error_kind ? { kind: lastRun.error_kind, message: lastRun.error_message } : null,
          }
        : null,
    };
  }
}
