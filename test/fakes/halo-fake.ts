import type { FakeRequest, FakeResponse, Interceptor } from './connectwise-fake.js';

/** A Halo agent as the fact sheet's cheat sheet shows it. */
export interface FakeHaloAgent {
  id: number;
  name: string | null;
  firstname?: string | null;
  surname?: string | null;
  email: string | null;
  isdisabled: boolean;
  isapiagent: boolean;
  team?: string;
  last_modified?: string;
}

export const HALO_CREDENTIALS = { clientId: 'halo-client-7', clientSecret: 'haloSECRETvalue42' };

export function haloAgent(id: number, overrides: Partial<FakeHaloAgent> = {}): FakeHaloAgent {
  return {
    id,
    name: `Agent ${id}`,
    firstname: 'Agent',
    surname: String(id),
    email: `agent${id}@acme.test`,
    isdisabled: false,
    isapiagent: false,
    team: 'Service Desk',
    last_modified: '2025-01-02T03:04:05',
    ...overrides,
  };
}

/** Unassigned (id 1), n ordinary agents from id 2, a disabled one, an API agent and one with no email. */
export function haloRoster(n: number): FakeHaloAgent[] {
  return [
    haloAgent(1, { name: 'Unassigned', email: null }),
    ...Array.from({ length: n }, (_, i) => haloAgent(i + 2)),
    haloAgent(900, { name: 'Dora Disabled', isdisabled: true }),
    haloAgent(901, { name: 'Integration Bot', isapiagent: true }),
    haloAgent(902, { name: 'Nell No-Email', email: null }),
  ];
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/**
 * HaloPSA at the HTTP level (psa-api-facts §2, §4): client-credentials tokens from /auth/token
 * (form body, scope=all, optional ?tenant=), bearer-protected /api/Agent in both shapes, and the
 * repeated-last-page quirk past the end.
 */
export class HaloFake {
  agents: FakeHaloAgent[];
  credentials = HALO_CREDENTIALS;
  tenant: string | undefined;
  /** `paged` answers pageinate=true with {results}; `array` always answers a bare array. */
  shape: 'paged' | 'array' = 'paged';
  /** Lifetime of issued tokens, in seconds. */
  expiresIn = 3600;
  readonly interceptors: Interceptor[] = [];
  readonly tokens = new Map<string, number>();
  tokenRequests = 0;
  agentRequests = 0;
  #issued = 0;

  constructor(agents: FakeHaloAgent[] = [], private readonly now: () => number = Date.now) {
    this.agents = [...agents].sort((a, b) => a.id - b.id);
  }

  intercept(fn: Interceptor): void {
    this.interceptors.push(fn);
  }

  /** Expires every issued token (as a Halo restart or a newer token would). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  handle(req: FakeRequest): FakeResponse {
    const index = this.tokenRequests + this.agentRequests;
    for (const interceptor of this.interceptors) {
      const response = interceptor(req, index);
      if (response) return response;
    }
    const path = req.url.pathname;
    if (path.endsWith('/token') && req.method === 'POST') return this.#token(req);
    if (path === '/api/Agent' && req.method === 'GET') return this.#agents(req);
    return json(404, 'Not Found');
  }

  #token(req: FakeRequest): FakeResponse {
    this.tokenRequests++;
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return json(400, { error: 'invalid_request', error_description: 'form body required' });
    const form = new URLSearchParams(req.body ?? '');
    if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'all') return json(400, { error: 'invalid_request', error_description: 'grant_type and scope required' });
    if (this.tenant !== undefined && req.url.searchParams.get('tenant') !== this.tenant) return json(400, { error: 'invalid_tenant' });
    if (form.get('client_id') !== this.credentials.clientId || form.get('client_secret') !== this.credentials.clientSecret) {
      return json(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    const token = `tok-${++this.#issued}`;
    this.tokens.set(token, this.now() + this.expiresIn * 1000);
    return json(200, { access_token: token, token_type: 'Bearer', expires_in: this.expiresIn, scope: 'all' });
  }

  #agents(req: FakeRequest): FakeResponse {
    this.agentRequests++;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = token ? this.tokens.get(token) : undefined;
    if (expires === undefined || expires <= this.now()) return { status: 401, headers: {}, body: '' };
    // The bare-array shape ignores every filter, as unpaged Halo answers are seen to.
    if (this.shape === 'array') return json(200, this.agents);
    const q = req.url.searchParams;
    let list = this.agents.filter((a) => (a.isdisabled ? q.get('includedisabled') === 'true' : q.get('includeenabled') !== 'false'));
    if (q.get('includeunassigned') === 'false') list = list.filter((a) => a.id !== 1);
    if (q.get('pageinate') !== 'true') return json(200, list);
    const size = Number(q.get('page_size') ?? 50);
    const pages = Math.max(1, Math.ceil(list.length / size));
    const pageNo = Math.min(Number(q.get('page_no') ?? 1), pages); // past the end: the last page again
    return json(200, { page_no: pageNo, page_size: size, record_count: list.length, results: list.slice((pageNo - 1) * size, pageNo * size) });
  }
}
