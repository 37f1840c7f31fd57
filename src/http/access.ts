/** The access policy (src/access/policy.ts), as the HTTP routes use it. */
export * from '../access/policy.js';
