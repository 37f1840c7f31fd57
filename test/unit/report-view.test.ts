import { describe, expect, it } from 'vitest';
import { csvHref, filterInput, parseReportView, trendInterval, viewHref, viewProblems } from '../../src/console/report-view.js';
import { parseRatingFilter } from '../../src/domain/rating-query.js';

/** The reports page's view, as its URL holds it (issue 18). */
describe('the reports view', () => {
  const id = '3f2a9c1e-0000-4000-8000-000000000001';

  it('opens on the last 90 days up to today, broken down by engineer', () => {
    expect(parseReportView({}, '2026-01-14')).toEqual({ from: '2025-10-17', to: '2026-01-14', groupBy: 'member', members: [], membersExcept: false, clients: [], clientsExcept: false, cursor: undefined });
    expect(parseReportView({ to: '2026-01-31' }, '2026-03-01').from).toBe('2025-11-03');
  });

  it('ticked boxes (repeated keys) become the API filters; a comma in a client name survives the list', () => {
    const view = parseReportView({ member: [id, id], memberMode: 'except', client: ['Acme, Inc', 'Globex'], groupBy: 'week' }, '2026-01-14');
    const input = filterInput(view);
    expect(input).toEqual({ from: '2025-10-17', to: '2026-01-14', excludeMembers: id, clients: 'Acme\\, Inc,Globex' });
    const problems: string[] = [];
    expect(parseRatingFilter(input as Record<string, unknown>, '2026-01-14', problems)).toMatchObject({ excludeMembers: [id], clients: ['Acme, Inc', 'Globex'] });
    expect(problems).toEqual([]);
    expect(csvHref('acc', view)).toBe('/api/v1/accounts/acc/ratings.csv?from=2025-10-17&to=2026-01-14&excludeMembers=3f2a9c1e-0000-4000-8000-000000000001&clients=Acme%5C%2C+Inc%2CGlobex');
    // The page's own link reads back to the same view.
    const back = new URL(viewHref('acc', view), 'http://x').searchParams;
    const raw: Record<string, string | string[]> = {};
    for (const k of new Set(back.keys())) raw[k] = back.getAll(k).length > 1 ? back.getAll(k) : back.get(k)!;
    expect(parseReportView(raw, '2026-01-14')).toEqual({ ...view, members: [id] });
  });

  it('the trend is per day for short ranges, per week for long ones, or as asked; odd values are named', () => {
    expect(trendInterval(parseReportView({ from: '2026-01-01', to: '2026-01-14' }, '2026-01-14'))).toBe('day');
    expect(trendInterval(parseReportView({}, '2026-01-14'))).toBe('week');
    expect(trendInterval(parseReportView({ groupBy: 'day' }, '2026-01-14'))).toBe('day');
    expect(viewProblems({ groupBy: 'year', clientMode: 'x' })).toEqual(['groupBy must be one of member, client, day, week (got "year")', 'clientMode must be only or except (got "x")']);
    expect(viewProblems({ groupBy: 'client', memberMode: 'except' })).toEqual([]);
  });
});
