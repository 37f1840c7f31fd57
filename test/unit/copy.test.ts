import { describe, expect, it } from 'vitest';
import { copyText } from '../../src/db/copy.js';

describe('COPY text format', () => {
  it('escapes backslashes, tabs and line breaks, and writes NULL, booleans, dates and JSON', () => {
    expect(copyText(null)).toBe('\\N');
    expect(copyText(true)).toBe('t');
    expect(copyText(false)).toBe('f');
    expect(copyText(42)).toBe('42');
    expect(copyText(new Date('2026-11-26T10:00:00Z'))).toBe('2026-11-26T10:00:00.000Z');
    expect(copyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyText('\\N')).toBe('\\\\N'); // the literal text "\N" is not NULL
    expect(copyText({ name: 'x\ty', list: [1, '\\'] })).toBe('{"name":"x\\\\ty","list":[1,"\\\\\\\\"]}');
    expect(copyText('<script>"quoted"</script>')).toBe('<script>"quoted"</script>');
  });
});
