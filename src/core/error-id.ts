import { randomBytes } from 'node:crypto';

/**
 * A short id for an internal failure: shown to the person who hit it and logged beside the detail,
 * so support can find the one server log line that explains it, while messages stay free of SQL,
 * row data and stacks.
 */
export function newErrorId(): string {
  return `err_${randomBytes(5).toString('hex')}`;
}
