import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { SecretBox, generateSecretKey } from '../../src/core/secret-box.js';

describe('parseEnv', () => {
  it('lists every bad variable in one message', () => {
    expect(() => parseEnv({ DATABASE_URL: 'mysql://x', PORT: 'abc', PSA_SYNC_SECRET_KEY: 'short' })).toThrow(/DATABASE_URL.*PSA_SYNC_SECRET_KEY.*PORT|DATABASE_URL.*PORT.*PSA_SYNC_SECRET_KEY/);
  });
  it('defaults the data dir and leaves DATABASE_URL unset for embedded mode', () => {
    expect(parseEnv({})).toMatchObject({ databaseUrl: undefined, dataDir: './.psa-sync', port: 8080, logLevel: 'info' });
  });
});

describe('SecretBox', () => {
  it('round-trips, and a different key cannot open the settings', () => {
    const box = new SecretBox(generateSecretKey());
    const sealed = box.seal('{"privateKey":"s3cret"}');
    expect(sealed).not.toContain('s3cret');
    expect(box.open(sealed)).toBe('{"privateKey":"s3cret"}');
    expect(() => new SecretBox(generateSecretKey()).open(sealed)).toThrow(/differs from the key/);
  });
});
