import { http, HttpResponse } from 'msw';
import type { FakeRequest, FakeResponse } from './connectwise-fake.js';

/** Routes every request under `site` through a fake, at the HTTP level. */
export function fakeHandlers(site: string, fake: { handle(req: FakeRequest): FakeResponse | Promise<FakeResponse> }) {
  return [
    http.all(`${site}/*`, async ({ request }) => {
      const headers: Record<string, string> = {};
      request.headers.forEach((value, key) => {
        headers[key.toLowerCase()] = value;
      });
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
      const r = await fake.handle({ method: request.method, url: new URL(request.url), headers, body });
      return new HttpResponse(r.body, { status: r.status, headers: r.headers });
    }),
  ];
}
