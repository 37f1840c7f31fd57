import { expect } from 'vitest';
import type { RosterPage, RosterReader } from '../../src/connector/contract.js';
import { SyncError } from '../../src/core/errors.js';
import { NO_PROFILE, type LocalMember } from '../../src/domain/member.js';

/** Reads every page a connector yields. */
export async function readAll(reader: RosterReader): Promise<RosterPage[]> {
  const pages: RosterPage[] = [];
  for await (const p of reader.pages()) pages.push(p);
  return pages;
}

/** The SyncError a promise rejects with (the test fails if it resolves or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<SyncError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SyncError);
  return err as SyncError;
}

/** A member of ours as the planner sees it: a PSA member `u<id>`, Active on All Staff unless `over` says otherwise. */
export const localMember = (id: number, over: Partial<LocalMember> = {}): LocalMember => ({
  id: `m-${id}`,
  source: 'psa',
  externalId: String(id),
  identifier: `u${id}`,
  name: `N ${id}`,
  email: `u${id}@x.test`,
  active: true,
  list: 'staff',
  psaActive: true,
  inactiveReason: null,
  adminInactive: false,
  ...NO_PROFILE,
  ...over,
});
