import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { OutboundGuard } from './outbound-guard.js';

/** What came back: the status, and at most `maxBytes` of the body. */
export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body was longer than `maxBytes`; the rest was not read. */
  truncated: boolean;
}

export interface OutboundRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Ends the request, whatever stage it is at (connecting, waiting, reading the body). */
  signal: AbortSignal;
  /** Bytes of the body kept; past them the connection is closed and the rest never read. */
  maxBytes: number;
}

/** The answer ended before its body did (the peer closed or reset the connection). */
export class BodyCutOffError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the answer was cut off before its body ended', options);
    this.name = 'BodyCutOffError';
  }
}

/**
 * One HTTP request through a guard's agents: no redirects followed (a 3xx is an answer), no proxy,
 * bounded in time by `signal` and in memory by `maxBytes`. Rejects with the guard's
 * AddressRefusedError when the destination is forbidden, before anything is sent.
 */
export function outboundRequest(guard: OutboundGuard, url: URL, options: OutboundRequestOptions): Promise<OutboundResponse> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const req = send(url, { method: options.method ?? 'GET', headers: options.headers, agent: guard.agentFor(url), signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let settled = false;
      const finish = (truncated: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = options.maxBytes - kept;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          kept = options.maxBytes;
          finish(true);
          res.destroy();
          return;
        }
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', () => finish(false));
      res.on('error', (err) => {
        if (settled) return;
        settled = true;
        reject(options.signal.aborted ? options.signal.reason : new BodyCutOffError({ cause: err }));
      });
      res.on('close', () => {
        if (settled) return;
        settled = true;
        reject(options.signal.aborted ? options.signal.reason : new BodyCutOffError());
      });
    });
    req.on('error', (err) => reject(options.signal.aborted ? options.signal.reason : err));
    req.end(options.body);
  });
}
