import type { RemoteMember, RosterPage, RosterReader, SkippedRemote } from '../connector/contract.js';
import { SyncError } from '../core/errors.js';

/** A PSA's roster reader, with the PSA's name for messages. */
export interface ConnectorReader {
  psa: string;
  reader: RosterReader;
}

/** Everything one complete read returned: staff records, and records that are not staff. */
export interface RosterRead {
  remote: RemoteMember[];
  skipped: SkippedRemote[];
}

/**
 * Runs `work` once pending I/O callbacks have had their turn (e.g. after a request was sent).
 * Never rejects: a failure is handed back, so work left behind by an abandoned read cannot
 * become an unhandled rejection.
 */
function whileWaiting(work: () => void): Promise<unknown> {
  return new Promise((resolve) =>
    setImmediate(() => {
      try {
        work();
        resolve(undefined);
      } catch (err) {
        resolve(err);
      }
    }),
  );
}

/**
 * Reads a roster completely, or throws a SyncError: every page, no member id twice, and as many
 * records as the PSA says it holds (product.md §4: only a provably complete read may deactivate
 * anyone). `onPage` sees each page, in order (the engine fingerprints them).
 */
export async function readRoster({ psa, reader }: ConnectorReader, signal?: AbortSignal, onPage?: (page: RosterPage) => void): Promise<RosterRead> {
  const remote: RemoteMember[] = [];
  const skipped: SkippedRemote[] = [];
  const ids = new Set<string>();
  let twice: string | undefined;
  let checked: Promise<unknown> = Promise.resolve();
  const duplicate = () => new SyncError('bad_response', `${psa} returned member id ${twice} twice in one read`);
  for await (const page of reader.pages(signal)) {
    if (twice !== undefined) throw duplicate();
    remote.push(...page.members);
    skipped.push(...page.skipped);
    // Checking and fingerprinting a page need not delay the request for the next one: they run
    // while it is in flight, in page order.
    checked = checked.then(
      (failed) =>
        failed ??
        whileWaiting(() => {
          for (const m of page.members) {
            if (ids.has(m.externalId)) twice ??= m.externalId;
            ids.add(m.externalId);
          }
          onPage?.(page);
        }),
    );
  }
  const failed = await checked;
  if (failed !== undefined) throw failed;
  if (twice !== undefined) throw duplicate();
  const expected = await reader.expectedCount(signal);
  const read = remote.length + skipped.length;
  if (expected !== undefined && expected !== read) {
    throw new SyncError('incomplete_read', `${psa} reports ${expected} members but ${read} were read; the read is not provably complete, so nothing was changed`);
  }
  return { remote, skipped };
}
