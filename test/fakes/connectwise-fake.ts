import { createHash, createHmac } from 'node:crypto';
/**
 * An in-memory ConnectWise PSA shaped by psa-api-facts.md §1: companyinfo discovery, Basic auth
 * with `companyId+publicKey:privateKey`, the clientId header, the versioned Accept header,
 * navigable and forward-only paging (pageSize ≤ 1000, `pageId`), `/count`, and `fields`; the lookup
 * lists `/system/members/types`, `/system/departments` and `/system/locations`, paged the same way.
 * Like a server whose support is unconfirmed (psa-api-facts §1.9), it ignores every `conditions=`.
 * Tests inject quirks (429 with Retry-After, 500s, malformed JSON, cloud 404s) as interceptors.
 * Served by msw (connector tests) or by a real HTTP server on 127.0.0.1 (CLI tests, benchmark).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAKE_DEPARTMENTS, FAKE_LOCATIONS, FAKE_MEMBER_TYPES, profileOf, type FakeCwNamed } from './connectwise-lookups.js';

export { FAKE_DEPARTMENTS, FAKE_LOCATIONS, FAKE_MEMBER_TYPES, legacyShape, type FakeCwNamed } from './connectwise-lookups.js';

export interface FakeCwMember {
  id: number;
  identifier: string;
  firstName: string;
  lastName: string | null;
  officeEmail: string | null;
  inactiveFlag: boolean;
  licenseClass: 'F' | 'A' | 'C' | 'X';
  [key: string]: unknown;
}

export interface FakeRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** The raw request body, when there is one. */
  body?: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export type Interceptor = (req: FakeRequest, index: number) => FakeResponse | undefined;

export interface FakeCredentials {
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
}

export const FAKE_CREDENTIALS: FakeCredentials = {
  companyId: 'acme',
  publicKey: 'pubKEY123',
  privateKey: 'privSECRETkey987',
  clientId: '5b3a0c0e-1111-4222-8333-944455556666',
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** A full-looking ConnectWise member, as in the fact sheet's cheat sheet. */
export function cwMember(id: number, overrides: Partial<FakeCwMember> = {}): FakeCwMember {
  return {
    id,
    identifier: `user${id}`,
    firstName: `First${id}`,
    lastName: `Last${id}`,
    officeEmail: `user${id}@acme.test`,
    defaultEmail: 'Office',
    inactiveFlag: false,
    inactiveDate: null,
    licenseClass: 'F',
    ...profileOf(id),
    timeZone: { id: 4, name: 'US Pacific', _info: null },
    _info: { lastUpdated: '2025-01-02T03:04:05Z', updatedBy: 'admin' },
    ...overrides,
  };
}

export function cwMembers(n: number, from = 1): FakeCwMember[] {
  return Array.from({ length: n }, (_, i) => cwMember(from + i));
}

export class ConnectWiseFake {
  members: FakeCwMember[] = [];
  memberTypes: FakeCwNamed[] = FAKE_MEMBER_TYPES.map((r) => ({ ...r }));
  departments: FakeCwNamed[] = FAKE_DEPARTMENTS.map((r) => ({ ...r }));
  locations: FakeCwNamed[] = FAKE_LOCATIONS.map((r) => ({ ...r }));
  /** Requests that reached the lookup lists (member types, departments, locations). */
  lookupRequests = 0;
  codebase = 'v2025_1/';
  credentials: FakeCredentials;
  /** Overrides what `/system/members/count` reports. */
  countOverride: number | undefined;
  /** Answer bad credentials the cloud way: 404 instead of 401. */
  cloudStyleAuthErrors = false;
  readonly interceptors: Interceptor[] = [];
  readonly requests: { method: string; path: string; query: Record<string, string>; headers: Record<string, string> }[] = [];
  /** Requests that carried valid credentials and reached the members endpoints. */
  memberRequests = 0;

  constructor(members: FakeCwMember[] = [], credentials = FAKE_CREDENTIALS) {
    this.setMembers(members);
    this.credentials = credentials;
  }

  setMembers(members: FakeCwMember[]): void {
    this.members = [...members].sort((a, b) => a.id - b.id);
  }

  update(id: number, patch: Partial<FakeCwMember>): void {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no fake member ${id}`);
    Object.assign(m, patch);
  }

  remove(id: number): void {
    this.members = this.members.filter((m) => m.id !== id);
  }

  /** Adds a one-shot (or n-shot) interceptor. */
  intercept(fn: Interceptor): void {
    this.interceptors.push(fn);
  }

  handle(req: FakeRequest): FakeResponse {
    const index = this.requests.length;
    const { authorization: _auth, ...safeHeaders } = req.headers;
    this.requests.push({ method: req.method, path: req.url.pathname, query: Object.fromEntries(req.url.searchParams), headers: safeHeaders });
    for (const interceptor of this.interceptors) {
      const response = interceptor(req, index);
      if (response) return response;
    }
    return this.#route(req);
  }

  /** Registered callbacks (psa-api-facts §1.7), including ones other tools made. */
  callbacks: { id: number; url: string; description: string; type: string; level: string; objectId: number; inactiveFlag: boolean }[] = [];
  #nextCallbackId = 100;
  /** The key callbacks are signed with, served at the key URL. */
  signingKey = 'fake-signing-key-0123456789';
  keyFetches = 0;

  /**
   * A callback as ConnectWise would POST it: the JSON body (with `Entity` as a string and the key
   * URL under Metadata) and its `x-content-signature`, base64 HMAC-SHA256 keyed with SHA-256 of the key.
   */
  callback(origin: string, memberId: number, action: 'added' | 'updated' | 'deleted', messageId: string, keyUrl?: string): { body: string; signature: string } {
    const member = this.members.find((m) => m.id === memberId);
    const body = JSON.stringify({
      MessageId: messageId,
      FromUrl: origin,
      CompanyId: this.credentials.companyId,
      MemberId: 'admin',
      Action: action,
      Type: 'member',
      ID: memberId,
      Entity: action === 'deleted' || !member ? null : JSON.stringify(member),
      Metadata: { key_url: keyUrl ?? `${origin}/${this.codebase}system/callbackkey/index.rails?id=7` },
    });
    const key = createHash('sha256').update(this.signingKey).digest();
    return { body, signature: createHmac('sha256', key).update(body).digest('base64') };
  }

  #route(req: FakeRequest): FakeResponse {
    const path = req.url.pathname;
    if (path === `/${this.codebase}system/callbackkey/index.rails`) {
      this.keyFetches++;
      return json(200, { signing_key: this.signingKey });
    }
    const info = /^\/login\/companyinfo\/([^/]+)$/.exec(path);
    if (info) {
      if (decodeURIComponent(info[1]!).toLowerCase() !== this.credentials.companyId.toLowerCase()) return { status: 200, headers: { 'content-type': 'application/json' }, body: 'null' };
      return json(200, { CompanyName: 'Acme', Codebase: this.codebase, VersionCode: 'v2025.1', VersionNumber: 'v4.6.0', CompanyID: this.credentials.companyId, IsCloud: 'True' });
    }
    const api = /^\/([^/]+\/)apis\/3\.0(\/.*)$/.exec(path);
    if (!api) return json(404, { code: 'NotFound', message: 'Not found' });
    if (api[1] !== this.codebase) return json(404, { code: 'NotFound', message: 'The requested resource was not found' });
    const c = this.credentials;
    const expected = `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`).toString('base64')}`;
    if (req.headers.authorization !== expected || req.headers.clientid !== c.clientId) {
      return this.cloudStyleAuthErrors ? json(404, { code: 'NotFound', message: 'Not found' }) : json(401, { code: 'Unauthorized', message: 'UserNotAuthenticated' });
    }
    if (!/^application\/vnd\.connectwise\.com\+json; version=\d{4}\.\d+/.test(req.headers.accept ?? '')) {
      return json(400, { code: 'InvalidVersion', message: 'Accept header must name an API version' });
    }
    const resource = api[2];
    if (resource === '/system/members/count') {
      this.memberRequests++;
      return json(200, { count: this.countOverride ?? this.members.length });
    }
    if (resource === '/system/members') {
      this.memberRequests++;
      return this.#members(req);
    }
    const lookup = ({ '/system/members/types': this.memberTypes, '/system/departments': this.departments, '/system/locations': this.locations } as Record<string, FakeCwNamed[]>)[resource ?? ''];
    if (lookup && req.method === 'GET') {
      this.lookupRequests++;
      return this.#page(req, [...lookup].sort((a, b) => a.id - b.id));
    }
    const one = /^\/system\/members\/(\d+)$/.exec(resource ?? '');
    if (one) {
      const m = this.members.find((x) => x.id === Number(one[1]));
      this.memberRequests++;
      return m ? json(200, m) : json(404, { code: 'NotFound', message: `Member with id ${one[1]} not found` });
    }
    if (resource === '/system/callbacks' && req.method === 'GET') return json(200, this.callbacks);
    if (resource === '/system/callbacks' && req.method === 'POST') {
      const b = JSON.parse(req.body || '{}') as Record<string, unknown>;
      if (this.callbacks.some((c) => c.url === b.url && c.type === b.type && c.level === b.level)) return json(400, { code: 'InvalidObject', message: 'ObjectExists', errors: [{ code: 'ObjectExists', message: 'callback exists' }] });
      const created = { id: this.#nextCallbackId++, url: String(b.url), description: String(b.description ?? ''), type: String(b.type), level: String(b.level), objectId: Number(b.objectId ?? 1), inactiveFlag: b.inactiveFlag === true };
      this.callbacks.push(created);
      return json(201, created);
    }
    const cb = /^\/system\/callbacks\/(\d+)$/.exec(resource ?? '');
    if (cb && req.method === 'DELETE') {
      const before = this.callbacks.length;
      this.callbacks = this.callbacks.filter((c) => c.id !== Number(cb[1]));
      return before === this.callbacks.length ? json(404, { code: 'NotFound', message: 'Not found' }) : { status: 204, headers: {}, body: '' };
    }
    return json(404, { code: 'NotFound', message: 'Not found' });
  }

  #members(req: FakeRequest): FakeResponse {
    return this.#page(req, this.members);
  }

  /** One page of a list sorted by id, navigable or forward-only; `conditions=` is ignored. */
  #page(req: FakeRequest, list: { id: number; [key: string]: unknown }[]): FakeResponse {
    const q = req.url.searchParams;
    const pageSize = Number(q.get('pageSize') ?? 25);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return json(400, { code: 'InvalidObject', message: 'pageSize must be 1–1000' });
    let items: { id: number; [key: string]: unknown }[];
    let link: string;
    const base = `${req.url.origin}${req.url.pathname}`;
    if ((req.headers['pagination-type'] ?? '').toLowerCase() === 'forward-only') {
      const pageId = Number(q.get('pageId') ?? 0);
      const start = lowerBound(list, pageId);
      items = list.slice(start, start + pageSize);
      const last = items.at(-1)?.id ?? pageId;
      link = `<${base}?pageSize=${pageSize}&pageId=${last}>; rel="next"`;
    } else {
      const page = Number(q.get('page') ?? 1);
      items = list.slice((page - 1) * pageSize, page * pageSize);
      link = `<${base}?pageSize=${pageSize}&page=${page + 1}>; rel="next"`;
    }
    const fields = q.get('fields')?.split(',');
    const body = fields ? items.map((m) => Object.fromEntries(fields.filter((f) => f in m).map((f) => [f, m[f]]))) : items;
    return json(200, body, { link, 'api-current-version': '2025.16' });
  }
}

/** Index of the first member with id > pageId (members are sorted by id). */
function lowerBound(members: { id: number }[], pageId: number): number {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (members[mid]!.id <= pageId) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Serves a fake on a real HTTP port on 127.0.0.1 (for child processes and benchmarks). */
export async function serveFake(
  fake: { handle(req: FakeRequest): FakeResponse | Promise<FakeResponse> },
  options: { delayMs?: (req: FakeRequest) => number; port?: number } = {},
): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const request = { method: req.method ?? 'GET', url, headers, body };
      const respond = async () => {
        if (res.destroyed) return;
        const r = await fake.handle(request);
        if (res.destroyed) return;
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      };
      const delay = options.delayMs?.(request) ?? 0;
      if (delay > 0) setTimeout(() => void respond(), delay);
      else void respond();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
