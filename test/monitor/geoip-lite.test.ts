import { describe, expect, it } from 'vitest';
import { loadGeoipLite } from '../../src/geoip/geoip-lite-locator.ts';

// The adapter on the real database shipped in geoip-lite (loaded once, ~0.4 s). Only stable
// facts are asserted: the data changes with every package update.
describe('geoip-lite adapter', () => {
  const geo = loadGeoipLite();

  it('locates public addresses to a country and a point with an accuracy radius', () => {
    const gb = geo.locate('81.2.69.142');
    expect(gb.country).toBe('GB');
    expect(gb.point?.lat).toBeGreaterThan(49);
    expect(gb.point?.lat).toBeLessThan(61);
    expect(gb.point?.radiusKm).toBeGreaterThan(0);
    expect(geo.locate('133.242.0.1').country).toBe('JP');
    expect(geo.locate('2001:4860:4860::8888').country).toMatch(/^[A-Z]{2}$/);
  });

  it('leaves private, reserved and malformed addresses unlocated', () => {
    for (const ip of ['10.0.0.1', '127.0.0.1', '192.168.1.1', '203.0.113.9', '::1', 'nonsense']) expect(geo.locate(ip)).toEqual({ country: null, point: null });
  });
});
