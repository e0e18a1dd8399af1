import { isoDay } from '../market/calendar.ts';

/** A line on the level panel. */
export interface ChartLine {
  name: string;
  levels: ArrayLike<number>;
  color: string;
  width?: number;
  dash?: string;
}

/** What {@link renderChartSvg} draws. */
export interface ChartInput {
  title: string;
  /** Day number of the first point. */
  firstDay: number;
  /** The first line is the index: the drawdown panel shows its drawdown. */
  lines: readonly ChartLine[];
  /** 1 bull, 0 bear, per day: bear days are shaded on both panels. */
  regime: ArrayLike<number>;
  /** Legend of the shading (default `bear regime (100% USDC)`). */
  bearLabel?: string;
}

const W = 1000;
const H = 620;
const LEFT = 70;
const RIGHT = 20;
const TOP = 48;
const LEVEL_H = 360;
const GAP = 40;
const DD_H = 130;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (x: number): string => (Math.round(x * 10) / 10).toString();

/** Log-scale ticks: 1, 2, 5 × powers of ten inside [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** p;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

function label(v: number): string {
  return v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v);
}

/**
 * A hand-written SVG of the index: levels on a log scale (top), the first line's drawdown
 * (bottom), bear-regime days shaded grey on both, with year ticks and a legend. No dependency.
 *
 * @example writeFileSync('chart.svg', renderChartSvg({ title: 'CT100', firstDay, lines: [{ name: 'net', levels, color: '#1f6feb' }], regime }))
 */
export function renderChartSvg(input: ChartInput): string {
  const main = input.lines[0];
  const n = main?.levels.length ?? 0;
  if (main === undefined || n < 2) throw new RangeError('chart: need at least two days of levels');
  const plotW = W - LEFT - RIGHT;
  const x = (k: number): number => LEFT + (plotW * k) / (n - 1);
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const l of input.lines) {
    for (let k = 0; k < n; k++) {
      const v = l.levels[k] ?? Number.NaN;
      if (v > 0) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!(hi > lo)) hi = lo * 1.1;
  const [llo, lhi] = [Math.log(lo * 0.95), Math.log(hi * 1.05)];
  const y = (v: number): number => TOP + LEVEL_H - (LEVEL_H * (Math.log(v) - llo)) / (lhi - llo);
  const ddTop = TOP + LEVEL_H + GAP;

  const dd = new Float64Array(n);
  let peak = 0;
  let worst = 0;
  for (let k = 0; k < n; k++) {
    const v = main.levels[k] ?? 0;
    peak = Math.max(peak, v);
    dd[k] = peak > 0 ? v / peak - 1 : 0;
    worst = Math.min(worst, dd[k] ?? 0);
  }
  const ddFloor = Math.min(-0.1, Math.floor(worst * 10) / 10);
  const yd = (v: number): number => ddTop + (DD_H * v) / ddFloor;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="600">${escapeXml(input.title)}</text>`);

  // Bear shading: one rectangle per run of bear days, over both panels.
  for (let k = 0; k < n; ) {
    if ((input.regime[k] ?? 1) === 0) {
      let e = k;
      while (e + 1 < n && (input.regime[e + 1] ?? 1) === 0) e++;
      const x0 = x(Math.max(0, k - 0.5));
      const x1 = x(Math.min(n - 1, e + 0.5));
      parts.push(`<rect x="${fmt(x0)}" y="${TOP}" width="${fmt(Math.max(0.5, x1 - x0))}" height="${LEVEL_H}" fill="#d0d7de" fill-opacity="0.5"/>`);
      parts.push(`<rect x="${fmt(x0)}" y="${ddTop}" width="${fmt(Math.max(0.5, x1 - x0))}" height="${DD_H}" fill="#d0d7de" fill-opacity="0.5"/>`);
      k = e + 1;
    } else k++;
  }

  // Axes and grid.
  for (const v of logTicks(lo * 0.95, hi * 1.05)) {
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${fmt(y(v) + 4)}" text-anchor="end" fill="#57606a">${label(v)}</text>`);
  }
  for (let v = 0; v >= ddFloor - 1e-9; v -= ddFloor < -0.5 ? 0.2 : 0.1) {
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${fmt(yd(v))}" y2="${fmt(yd(v))}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${fmt(yd(v) + 4)}" text-anchor="end" fill="#57606a">${Math.round(v * 100)}%</text>`);
  }
  let lastYear = '';
  for (let k = 0; k < n; k++) {
    const year = isoDay(input.firstDay + k).slice(0, 4);
    if (year !== lastYear) {
      if (lastYear !== '' || k === 0) {
        parts.push(`<line x1="${fmt(x(k))}" x2="${fmt(x(k))}" y1="${TOP}" y2="${ddTop + DD_H}" stroke="#eaeef2"/>`);
        parts.push(`<text x="${fmt(x(k) + 3)}" y="${ddTop + DD_H + 16}" fill="#57606a">${year}</text>`);
      }
      lastYear = year;
    }
  }
  parts.push(`<rect x="${LEFT}" y="${TOP}" width="${plotW}" height="${LEVEL_H}" fill="none" stroke="#8c959f"/>`);
  parts.push(`<rect x="${LEFT}" y="${ddTop}" width="${plotW}" height="${DD_H}" fill="none" stroke="#8c959f"/>`);
  parts.push(`<text x="${LEFT}" y="${ddTop - 8}" fill="#57606a">drawdown of ${escapeXml(main.name)}</text>`);

  // Lines, the index last so it is on top.
  for (const l of [...input.lines].reverse()) {
    const pts: string[] = [];
    for (let k = 0; k < n; k++) {
      const v = l.levels[k] ?? Number.NaN;
      if (v > 0) pts.push(`${fmt(x(k))},${fmt(y(v))}`);
    }
    parts.push(`<polyline fill="none" stroke="${escapeXml(l.color)}" stroke-width="${l.width ?? 1.2}"${l.dash === undefined ? '' : ` stroke-dasharray="${escapeXml(l.dash)}"`} points="${pts.join(' ')}"/>`);
  }
  const ddPts = [`${fmt(x(0))},${fmt(yd(0))}`];
  for (let k = 0; k < n; k++) ddPts.push(`${fmt(x(k))},${fmt(yd(dd[k] ?? 0))}`);
  ddPts.push(`${fmt(x(n - 1))},${fmt(yd(0))}`);
  parts.push(`<polygon fill="#cf222e" fill-opacity="0.35" stroke="#cf222e" stroke-width="0.8" points="${ddPts.join(' ')}"/>`);

  // Legend.
  let lx = LEFT + 8;
  for (const l of input.lines) {
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${TOP + 14}" y2="${TOP + 14}" stroke="${escapeXml(l.color)}" stroke-width="2"${l.dash === undefined ? '' : ` stroke-dasharray="${escapeXml(l.dash)}"`}/>`);
    parts.push(`<text x="${lx + 22}" y="${TOP + 18}">${escapeXml(l.name)}</text>`);
    lx += 30 + l.name.length * 6.2;
  }
  parts.push(`<rect x="${lx}" y="${TOP + 8}" width="14" height="10" fill="#d0d7de"/><text x="${lx + 18}" y="${TOP + 18}">${escapeXml(input.bearLabel ?? 'bear regime (100% USDC)')}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
