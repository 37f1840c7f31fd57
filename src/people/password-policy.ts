/**
 * The password policy of product.md §7: 8–50 characters with at least one upper-case letter, one
 * lower-case letter, one digit and one special character. Length counts code points after NFKC
 * normalisation (what a person typed, however their keyboard encoded it); "special" is anything
 * that is neither a letter nor a digit. Pure: the console checks as the person types, and the
 * server, the judge, checks again with the same function.
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 50;

/** Each rule, with the words a person reads when it is broken. */
export const PASSWORD_RULES = [
  { id: 'min_length', words: `at least ${PASSWORD_MIN} characters`, ok: (p: string) => [...p].length >= PASSWORD_MIN },
  { id: 'max_length', words: `at most ${PASSWORD_MAX} characters`, ok: (p: string) => [...p].length <= PASSWORD_MAX },
  { id: 'upper', words: 'an upper-case letter', ok: (p: string) => /\p{Lu}/u.test(p) },
  { id: 'lower', words: 'a lower-case letter', ok: (p: string) => /\p{Ll}/u.test(p) },
  { id: 'digit', words: 'a digit', ok: (p: string) => /\p{Nd}/u.test(p) },
  { id: 'special', words: 'a special character (neither a letter nor a digit)', ok: (p: string) => /[^\p{L}\p{Nd}]/u.test(p) },
] as const;

export type PasswordRule = (typeof PASSWORD_RULES)[number]['id'];

/** The rules a password breaks (empty: it is acceptable). */
export function brokenPasswordRules(password: string): PasswordRule[] {
  const p = password.normalize('NFKC');
  return PASSWORD_RULES.filter((r) => !r.ok(p)).map((r) => r.id);
}

/** A message naming every rule broken, or null when the password is acceptable. */
export function passwordProblem(password: string): string | null {
  const broken = new Set(brokenPasswordRules(password));
  if (broken.size === 0) return null;
  const words = PASSWORD_RULES.filter((r) => broken.has(r.id)).map((r) => r.words);
  return `the password needs ${words.join(', ')}`;
}
