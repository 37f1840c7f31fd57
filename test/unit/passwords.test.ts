import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/people/password-hasher.js';
import { brokenPasswordRules, passwordProblem } from '../../src/people/password-policy.js';

describe('password policy (product.md §7)', () => {
  it('accepts 8 and 50 characters, refuses 7 and 51', () => {
    expect(passwordProblem('Aa1!aaaa')).toBeNull();
    expect(passwordProblem(`Aa1!${'a'.repeat(46)}`)).toBeNull();
    expect(brokenPasswordRules('Aa1!aaa')).toEqual(['min_length']);
    expect(brokenPasswordRules(`Aa1!${'a'.repeat(47)}`)).toEqual(['max_length']);
  });

  it.each([
    ['aa1!aaaa', 'upper', 'an upper-case letter'],
    ['AA1!AAAA', 'lower', 'a lower-case letter'],
    ['Aa!aaaaa', 'digit', 'a digit'],
    ['Aa1aaaaa', 'special', 'a special character'],
  ])('refuses %s for its own rule, by name', (password, rule, words) => {
    expect(brokenPasswordRules(password)).toEqual([rule]);
    expect(passwordProblem(password)).toBe(`the password needs ${words}${rule === 'special' ? ' (neither a letter nor a digit)' : ''}`);
  });

  it('names every rule broken at once, and counts characters, not bytes', () => {
    expect(passwordProblem('abc')).toBe('the password needs at least 8 characters, an upper-case letter, a digit, a special character (neither a letter nor a digit)');
    expect(passwordProblem('Ünïcödé1!')).toBeNull(); // 9 characters, more bytes
    expect(brokenPasswordRules('Äb1!😀😀😀')).toEqual(['min_length']); // 7 code points
  });
});

describe('password hashing', () => {
  const fast = { ln: 10, r: 8, p: 1 }; // cheap parameters for the test; production uses SCRYPT_PARAMS

  it('verifies the right password only, with a salted, self-describing hash', async () => {
    const hasher = new PasswordHasher(2, fast);
    const a = await hasher.hash('Correct-Horse-9');
    const b = await hasher.hash('Correct-Horse-9');
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify('Correct-Horse-9', a)).toBe(true);
    expect(await hasher.verify('correct-Horse-9', a)).toBe(false);
    expect(await hasher.verify('Correct-Horse-9', 'not a hash')).toBe(false);
    expect(hasher.needsRehash(a)).toBe(false);
    expect(new PasswordHasher(2).needsRehash(a)).toBe(true);
  });

  it('never runs more hashes at once than its bound', async () => {
    const hasher = new PasswordHasher(2, fast);
    await Promise.all(Array.from({ length: 8 }, (_, i) => hasher.hash(`Pass-word-${i}`)));
    expect(hasher.peak).toBe(2);
  });

  it('hashes at the production parameters (N=2^17) within memory bounds', async () => {
    const hash = await new PasswordHasher(1).hash('Correct-Horse-9');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
  });
});
