import { describe, expect, it } from 'vitest';
import { dbRegions } from './paddle-text.ts';

/** A probability map with `value` inside each band: rows y0..y1 over x0..x1, sheared by `slope`. */
function map(width: number, height: number, bands: Array<[number, number, number, number, number]>) {
  const m = new Float32Array(width * height);
  for (const [x0, x1, y0, y1, slope] of bands)
    for (let x = x0; x <= x1; x++)
      for (let y = y0; y <= y1; y++) {
        const yy = Math.round(y + (x - x0) * slope);
        if (yy >= 0 && yy < height) m[yy * width + x] = 0.9;
      }
  return m;
}

describe('dbRegions (DB post-processing)', () => {
  it('finds each line as its own region, level lines at angle 0, expanded by the unclip distance', () => {
    const regions = dbRegions(
      map(200, 100, [
        [20, 179, 20, 27, 0],
        [20, 119, 60, 67, 0],
      ]),
      200,
      100,
    );
    expect(regions).toHaveLength(2);
    const [first, second] = regions;
    expect(first?.angle).toBeCloseTo(0, 5);
    // 160 × 8 px: d = 160 · 8 · 1.5 / (2 · 168) ≈ 5.7 on every side.
    expect(first?.halfLength).toBeCloseTo(80 + 5.71, 1);
    expect(first?.halfThickness).toBeCloseTo(4 + 5.71, 1);
    expect(first?.cx).toBeCloseTo(100, 5);
    expect(first?.cy).toBeCloseTo(24, 5);
    expect(second?.cy).toBeCloseTo(64, 5);
  });

  it('measures a tilted line along its own axis, not its upright bounds', () => {
    // Rising to the right by 1 px in 10 (about 5.7°): y goes down as x grows → negative slope.
    const [region] = dbRegions(map(300, 120, [[20, 219, 70, 77, -0.1]]), 300, 120);
    expect(region).toBeDefined();
    expect((region?.angle ?? 0) * (180 / Math.PI)).toBeCloseTo(-5.7, 0);
    // Thickness stays that of the stroke (8 px, about 8 · cos 5.7° across the axis), not the 28 px of its bounds.
    expect(region?.halfThickness).toBeLessThan(4.5 + 7);
  });

  it('drops specks and regions the detector is not sure of', () => {
    const m = map(100, 100, [[10, 11, 10, 11, 0]]);
    for (let x = 20; x < 80; x++) for (let y = 50; y < 58; y++) m[y * 100 + x] = 0.4; // over 0.3, mean under 0.6
    expect(dbRegions(m, 100, 100)).toEqual([]);
  });
});
