import { describe, expect, it } from 'vitest';
import { copyLines, copyText } from '../../src/db/copy.js';

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

  it('writes rows as lines of escaped columns, each Date its own time when several alternate', () => {
    const line = copyLines();
    const a = new Date('2026-11-26T10:00:00Z');
    const b = new Date('2026-11-27T11:30:00Z');
    expect(line(['x\ty', null, true, 3, a, [], { k: 'v' }])).toBe('x\\ty\t\\N\tt\t3\t2026-11-26T10:00:00.000Z\t[]\t{"k":"v"}\n');
    expect(line([a, b, a, new Date(b.getTime())])).toBe('2026-11-26T10:00:00.000Z\t2026-11-27T11:30:00.000Z\t2026-11-26T10:00:00.000Z\t2026-11-27T11:30:00.000Z\n');
  });
});
