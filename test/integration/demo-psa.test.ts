import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { connectWiseConnector } from '../../connectors/connectwise/index.js';
import { DEFAULT_HTTP_POLICY } from '../../src/connector/http.js';
import { createLogger } from '../../src/core/logger.js';
import { ROOT } from '../helpers/cli.js';

/** `npm run demo-psa` (issue 11): the ConnectWise-shaped PSA a newcomer adds in the console. */
const child = spawn(process.execPath, ['--import', 'tsx', 'demo/demo-psa.ts'], { cwd: ROOT, env: { ...process.env, DEMO_PSA_PORT: '0', DEMO_PSA_MEMBERS: '40' }, stdio: ['ignore', 'pipe', 'pipe'] });
afterAll(() => void child.kill('SIGTERM'));

describe('demo PSA', () => {
  it('starts, prints its credentials, and serves members a ConnectWise reader can read', async () => {
    let out = '';
    const config = await new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no config printed: ${out}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) (clearTimeout(timer), resolve(JSON.parse(line) as Record<string, string>));
      });
    });
    expect(out).toContain('Demo ConnectWise PSA with 40 members');
    expect(out).toContain(`Site: ${config.site}`);
    const settings = connectWiseConnector.parseSettings({ ...config, codebase: 'v2025_1/' });
    const reader = connectWiseConnector.createReader(settings, { logger: createLogger('silent'), policy: DEFAULT_HTTP_POLICY });
    expect(await reader.expectedCount()).toBe(40);
    const names: string[] = [];
    for await (const page of reader.pages()) names.push(...page.members.map((m) => m.name));
    expect(names).toContain('Ada Lovelace');
  });
});
