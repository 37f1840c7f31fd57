import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { InputError } from '../core/errors.js';
import { addressRefusal, type AddressPolicy } from './address-policy.js';

/** Answers the addresses a host name stands for (`dns.lookup` with `all`; tests inject their own). */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), as Node's own connections use. */
export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** psa-sync refused to connect to an address its policy forbids. Never retried: the address is the problem. */
export class AddressRefusedError extends InputError {
  constructor(
    purpose: string,
    /** Why, without what was being connected to: "x resolves to 10.0.0.1, which is a private address; …". */
    readonly reason: string,
  ) {
    super(`refused to connect to ${purpose}: ${reason}`);
  }
}

/** Whether `err`, or anything in its `cause` chain, is an address refusal. */
export function refusedAddress(err: unknown): AddressRefusedError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) if (e instanceof AddressRefusedError) return e;
  return undefined;
}

/**
 * Decides, at connect time, whether psa-sync may reach an address. Its agents check every address
 * a connection is actually made to: a name's addresses come through the agent's `lookup` hook
 * (so a name that resolved to a public address when a setting was checked and to a private one
 * now, DNS rebinding, is refused), and an IP literal is checked before the socket opens. All of
 * psa-sync's outbound HTTP goes through one of these: connectors (axios), webhook deliveries and
 * callback key fetches.
 */
export class OutboundGuard {
  #agents: { http: http.Agent; https: https.Agent } | undefined;

  constructor(
    readonly policy: AddressPolicy,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** Throws AddressRefusedError when `address` (what `host` resolved to) is not allowed. */
  check(host: string, address: string): void {
    const refusal = addressRefusal(host, address, this.policy);
    if (refusal) throw new AddressRefusedError(this.policy.purpose, refusal);
  }

  /**
   * Resolves `host` now and checks every address: for early, clear feedback when a URL is saved.
   * The connection itself is checked again by the agents, since DNS can change in between.
   */
  async checkHost(host: string): Promise<void> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare.replace(/%.*$/, ''))) return this.check(bare, bare);
    const addresses = await this.resolve(bare).catch(() => []);
    if (addresses.length === 0) throw new InputError(`${bare} does not resolve to any address`);
    for (const a of addresses) this.check(bare, a.address);
  }

  /** A `lookup` for `net.connect` that resolves through this guard and refuses if any address is forbidden. */
  readonly lookup: LookupFunction = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    this.resolve(hostname).then(
      (found) => {
        const wanted = found.filter((a) => !options.family || a.family === options.family);
        if (wanted.length === 0) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 0);
        try {
          for (const a of wanted) this.check(hostname, a.address);
        } catch (err) {
          return callback(err as NodeJS.ErrnoException, '', 0);
        }
        if (options.all) callback(null, [...wanted]);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };

  /** HTTP and HTTPS agents that connect only where the policy allows (no keep-alive). */
  get agents(): { http: http.Agent; https: https.Agent } {
    return (this.#agents ??= { http: new GuardedHttpAgent(this), https: new GuardedHttpsAgent(this) });
  }

  /** The agent for a URL's protocol. */
  agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.agents.https : this.agents.http;
  }
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/** An IP literal skips `lookup` in `net.connect`: check it before the socket opens. */
function literalRefusal(guard: OutboundGuard, host: string | null | undefined): Error | undefined {
  const bare = (host ?? '').replace(/^\[|\]$/g, '');
  if (!isIP(bare.replace(/%.*$/, ''))) return undefined;
  try {
    guard.check(bare, bare);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

class GuardedHttpAgent extends http.Agent {
  constructor(private readonly guard: OutboundGuard) {
    super({ keepAlive: false, lookup: guard.lookup } as http.AgentOptions);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const refused = literalRefusal(this.guard, options.host);
    if (refused) return void callback?.(refused, undefined as unknown as Duplex);
    return super.createConnection({ ...options, lookup: this.guard.lookup } as http.ClientRequestArgs, callback);
  }
}

class GuardedHttpsAgent extends https.Agent {
  constructor(private readonly guard: OutboundGuard) {
    super({ keepAlive: false, lookup: guard.lookup } as https.AgentOptions);
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex | null | undefined {
    const refused = literalRefusal(this.guard, options.host);
    if (refused) return void callback?.(refused, undefined as unknown as Duplex);
    return super.createConnection({ ...options, lookup: this.guard.lookup } as https.RequestOptions, callback);
  }
}
