import { toggled } from './selection';

describe('toggled', () => {
  const page = ['a', 'b', 'c', 'd', 'e'];

  it('ticks and unticks one row', () => {
    expect([...toggled(new Set(), page, 'b', null)]).toEqual(['b']);
    expect([...toggled(new Set(['b']), page, 'b', null)]).toEqual([]);
  });

  it('ticks the range from the last row clicked, either way round', () => {
    expect([...toggled(new Set(['b']), page, 'd', 'b')].sort()).toEqual(['b', 'c', 'd']);
    expect([...toggled(new Set(['d']), page, 'a', 'd')].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('unticks a range when the clicked row was ticked', () => {
    expect([...toggled(new Set(page), page, 'd', 'b')].sort()).toEqual(['a', 'e']);
  });
});
