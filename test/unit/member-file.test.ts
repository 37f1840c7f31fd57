import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { parseCsv, parseMemberFile } from '../../src/services/member-file.js';
import { normaliseName, parseSurveyInput, signLink, validSignature } from '../../src/services/survey-input.js';

describe('import files', () => {
  it('parses CSV with quotes, commas and newlines inside quoted fields', () => {
    expect(parseCsv('name,email\r\n"Doe, Jane",jane@x.test\n"Say ""hi""\nthere",b@x.test\n')).toEqual([
      ['name', 'email'],
      ['Doe, Jane', 'jane@x.test'],
      ['Say "hi"\nthere', 'b@x.test'],
    ]);
  });

  it('reads CSV and JSON rows with an optional agent id', () => {
    expect(parseMemberFile('Name,Email,Agent_ID\nJane,jane@x.test,17\nBob,bob@x.test,\n', 'csv')).toEqual([
      { row: 2, name: 'Jane', email: 'jane@x.test', agentId: '17' },
      { row: 3, name: 'Bob', email: 'bob@x.test', agentId: null },
    ]);
    expect(parseMemberFile(JSON.stringify([{ name: 'Jane', email: 'jane@x.test', agentId: 17 }]), 'json')).toEqual([{ row: 1, name: 'Jane', email: 'jane@x.test', agentId: '17' }]);
  });

  it('rejects the whole file, naming every bad row', () => {
    const text = 'name,email\nJane,jane@x.test\n,nobody@x.test\nBob,not-an-email\nJim,JANE@x.test\n';
    expect(() => parseMemberFile(text, 'csv')).toThrow(InputError);
    try {
      parseMemberFile(text, 'csv');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('nothing was imported: 3 invalid rows');
      expect(message).toContain('row 3: name is missing');
      expect(message).toContain('row 4: email "not-an-email" is not an email address');
      expect(message).toContain('row 5: email JANE@x.test is also on row 2');
      expect(message).not.toContain('\n');
    }
    expect(() => parseMemberFile('email\na@x.test\n', 'csv')).toThrow(/header must name the columns name and email/);
    expect(() => parseMemberFile('{"members": 3}', 'json')).toThrow(/array of members/);
  });
});

describe('survey input', () => {
  it('validates rating, agent and lengths, naming each problem', () => {
    expect(parseSurveyInput({ rating: '7', ticket: '42', agent_email: 'a@x.test' }, 'key')).toMatchObject({ rating: 7, ticket: '42', agentEmail: 'a@x.test' });
    expect(() => parseSurveyInput({ rating: '11', agent_id: '5' }, 'key')).toThrow(/rating must be a whole number from 0 to 10/);
    expect(() => parseSurveyInput({ rating: '4.5', agent_id: '5' }, 'key')).toThrow(/rating/);
    expect(() => parseSurveyInput({ rating: '4' }, 'key')).toThrow(/agent is missing/);
    expect(() => parseSurveyInput({ rating: '4', agent_name: 'x'.repeat(201) }, 'key')).toThrow(/longer than 200/);
    expect(() => parseSurveyInput({ rating: '4', agent_id: '[memberid]' }, 'key')).toThrow(/unfilled merge field/);
  });

  it('signs every value the link carries, and checks signatures in constant time', () => {
    const base = parseSurveyInput({ rating: '5', ticket: '4711', respondent: 'r@c.test', agent_email: 'a@x.test' }, 'key');
    const sig = signLink('secret', base);
    expect(validSignature('secret', { ...base, sig })).toBe(true);
    expect(validSignature('secret', { ...base, sig, agentEmail: 'b@x.test' })).toBe(false);
    // A signed link replayed with other values is refused: rating, ticket and respondent are signed too.
    expect(validSignature('secret', { ...base, sig, rating: 0 })).toBe(false);
    expect(validSignature('secret', { ...base, sig, ticket: '4712' })).toBe(false);
    expect(validSignature('secret', { ...base, sig, respondent: 'other@c.test' })).toBe(false);
    expect(validSignature('secret', { ...base, sig, accountKey: 'key2' })).toBe(false);
    expect(validSignature('other', { ...base, sig })).toBe(false);
    expect(validSignature('secret', { ...base, sig: 'zz' })).toBe(false);
  });

  it('normalises names for matching', () => {
    expect(normaliseName('  José   DÍAZ ')).toBe(normaliseName('jose diaz'));
  });
});
