import { describe, expect, it } from 'vitest';
import { matchRoute, ROUTES } from '../../functions/http/routes';
import { HANDLERS } from '../../functions/http/handlers/index';

describe('route table', () => {
  it('every route has a handler and a unique method + path', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of ROUTES) expect(typeof HANDLERS[r.module]?.[r.handler], `${r.module}.${r.handler}`).toBe('function');
  });

  it('only health and the local login are open', () => {
    expect(ROUTES.filter((r) => !r.auth).map((r) => r.path).sort()).toEqual(['/api/auth/login', '/api/health']);
  });

  it('matches paths with parameters and tells 404 from 405', () => {
    const m = matchRoute('POST', '/api/submissions/abc/review');
    expect(m && 'route' in m && m.route.handler).toBe('review');
    expect(m && 'params' in m && m.params).toEqual({ id: 'abc' });
    expect(matchRoute('DELETE', '/api/submissions/abc')).toEqual({ methodNotAllowed: true });
    expect(matchRoute('GET', '/api/nothing')).toBeUndefined();
    expect(matchRoute('GET', '/api/submissions/')).toBeUndefined();
  });

  it('declares the tables each route touches, writes only where the route changes state', () => {
    for (const r of ROUTES) {
      const writes = r.uses.tables.filter((t) => t.access === 'write').map((t) => t.id);
      if (r.method === 'GET' && !r.readSideEffect) expect(writes, `${r.method} ${r.path}`).toEqual([]);
    }
    // A GET that writes says why; today only the progress read (its daily snapshot), and only into the directory table.
    const writingGets = ROUTES.filter((r) => r.method === 'GET' && r.readSideEffect);
    expect(writingGets.map((r) => r.path)).toEqual(['/api/progress', '/api/members/import/{id}/slips']);
    for (const r of writingGets) expect(r.uses.tables.filter((t) => t.access === 'write').map((t) => t.id)).toEqual(['directory']);
  });
});
