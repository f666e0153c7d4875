import { observeServerDate, serverNow } from './clock';

describe('serverNow', () => {
  afterEach(() => observeServerDate(new Date().toUTCString()));

  it('follows a server clock that is ahead of this one', () => {
    const local = Date.now();
    observeServerDate(new Date(local + 60_000).toUTCString(), local);
    expect(serverNow() - Date.now()).toBeGreaterThan(58_000);
    expect(serverNow() - Date.now()).toBeLessThan(62_000);
  });

  it('ignores the rounding of the header to whole seconds', () => {
    const local = Date.now();
    observeServerDate(new Date(local).toUTCString(), local);
    expect(Math.abs(serverNow() - Date.now())).toBeLessThan(50);
  });

  it('ignores a missing or unreadable header', () => {
    observeServerDate(null);
    observeServerDate('not a date');
    expect(Math.abs(serverNow() - Date.now())).toBeLessThan(50);
  });
});
