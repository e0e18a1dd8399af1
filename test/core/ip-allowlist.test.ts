import { describe, expect, it } from 'vitest';
import { compileAllowlist, parseCidr } from '../../src/core/keys/ip-allowlist.ts';

describe('IP allowlist', () => {
  it('parses addresses and ranges of both families into canonical form', () => {
    expect(parseCidr('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(parseCidr(' 192.0.2.1 ')).toBe('192.0.2.1/32');
    expect(parseCidr('2001:DB8::/32')).toBe('2001:db8::/32');
    expect(parseCidr('::1')).toBe('::1/128');
    expect(parseCidr('::ffff:10.1.2.3/32')).toBe('10.1.2.3/32');
    for (const bad of ['10.0.0.0/33', '10.0.0/8', '2001:db8::/129', 'host', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/ 8', '']) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });

  it('matches v4, v6 and v4-mapped v6 addresses; empty allows all; garbage never matches a list', () => {
    const m = compileAllowlist(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7/32']);
    expect(m.allows('10.200.3.4')).toBe(true);
    expect(m.allows('11.0.0.1')).toBe(false);
    expect(m.allows('::ffff:10.0.0.1')).toBe(true);
    expect(m.allows('2001:db8:ffff::1')).toBe(true);
    expect(m.allows('2001:db9::1')).toBe(false);
    expect(m.allows('192.0.2.7')).toBe(true);
    expect(m.allows('192.0.2.8')).toBe(false);
    expect(m.allows('nonsense')).toBe(false);
    expect(compileAllowlist([]).allows('198.51.100.1')).toBe(true);
  });
});
