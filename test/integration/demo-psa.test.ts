import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createAutotaskConnector } from '../../connectors/autotask/index.js';
import { connectWiseConnector } from '../../connectors/connectwise/index.js';
import { DEFAULT_HTTP_POLICY } from '../../src/connector/http.js';
import { createLogger } from '../../src/core/logger.js';
import { ROOT } from '../helpers/cli.js';

/** `npm run demo-psa [-- --psa autotask]` (issues 11, 17): the PSA a newcomer adds in the console. */
function start(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/demo-psa.ts', ...args], { cwd: ROOT, env: { ...process.env, DEMO_PSA_PORT: '0', DEMO_PSA_MEMBERS: '40' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const config = new Promise<{ out: string; config: Record<string, string> }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no config printed: ${out}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) (clearTimeout(timer), resolve({ out, config: JSON.parse(line) as Record<string, string> }));
    });
  });
  return config;
}
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

describe('demo PSA', () => {
  it('starts, prints its credentials, and serves members a ConnectWise reader can read', async () => {
    const { out, config } = await start([]);
    expect(out).toContain('Demo ConnectWise PSA with 40 members');
    expect(out).toContain(`Site: ${config.site}`);
    const settings = connectWiseConnector.parseSettings({ ...config, codebase: 'v2025_1/' });
    const reader = connectWiseConnector.createReader(settings, { logger: createLogger('silent'), policy: DEFAULT_HTTP_POLICY });
    expect(await reader.expectedCount()).toBe(40);
    const names: string[] = [];
    for await (const page of reader.pages()) names.push(...page.members.map((m) => m.name));
    expect(names).toContain('Ada Lovelace');
  });

  it('with --psa autotask, serves resources with departments and locations, inactive ones and an API user', async () => {
    const { out, config } = await start(['--psa', 'autotask']);
    expect(out).toContain('Demo Autotask PSA with 40 resources');
    expect(out).toContain(`API user name: ${config.userName}`);
    const connector = createAutotaskConnector();
    const reader = connector.createReader(connector.parseSettings(config), { logger: createLogger('silent'), policy: DEFAULT_HTTP_POLICY });
    const pages = [];
    for await (const page of reader.pages()) pages.push(page);
    expect(await reader.expectedCount()).toBe(41);
    const members = pages.flatMap((p) => p.members);
    expect(members.find((m) => m.name === 'Ada Lovelace')).toMatchObject({ active: true, profile: { department: expect.any(String), location: expect.any(String) } });
    expect(members.some((m) => !m.active)).toBe(true);
    expect(pages.flatMap((p) => p.skipped)).toEqual([expect.objectContaining({ reason: 'api_user' })]);
  });
});
