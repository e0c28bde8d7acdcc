import { describe, expect, it } from 'vitest';
import { listNotice } from './pagedListPage';

describe('a list page’s notice', () => {
  it('says loading only before the first answer', () => {
    expect(listNotice(false, true, false, 0)).toBe('loading');
    expect(listNotice(false, false, false, 0)).toBeNull();
    // a refetch (a new filter, an event) keeps what is shown until the answer
    expect(listNotice(true, true, true, 3)).toBeNull();
    expect(listNotice(true, true, true, 0)).toBe('empty');
  });

  it('tells a car that is not there from a list that is empty', () => {
    expect(listNotice(true, false, false, 0)).toBe('notFound');
    expect(listNotice(true, false, true, 0)).toBe('empty');
  });

  it('shows the list when it has items', () => {
    expect(listNotice(true, false, true, 1)).toBeNull();
    expect(listNotice(true, false, true, 20)).toBeNull();
  });
});
