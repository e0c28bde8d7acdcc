import { describe, expect, it } from 'vitest';
import { pickById, windowAround } from './detail';

describe('detail lookup', () => {
  it('asks for a window around the start', () => {
    expect(windowAround('2026-07-01T10:00:00Z')).toEqual({ since: '2026-07-01T09:59:59.000Z', until: '2026-07-01T10:00:01.000Z' });
    expect(windowAround(null)).toBeNull();
    expect(windowAround('soon')).toBeNull();
  });

  it('picks the record by id, else by its start (a recompute gives new ids)', () => {
    const nodes = [
      { id: 'a', startedAt: '2026-07-01T10:00:00+00:00' },
      { id: 'b', startedAt: '2026-07-01T10:00:00.500Z' },
    ];
    expect(pickById(nodes, 'b', null)?.id).toBe('b');
    expect(pickById(nodes, 'gone', '2026-07-01T10:00:00Z')?.id).toBe('a');
    expect(pickById(nodes, 'gone', null)).toBeNull();
  });
});
