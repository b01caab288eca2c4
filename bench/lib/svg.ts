/**
 * A small SVG line-plot writer (no dependencies): linear or log10 axes, "nice" ticks, one polyline
 * with point markers per series, a legend, optional dashed horizontal reference lines.
 * Browser-safe; returns the SVG text.
 */

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** CSS colour (default: the palette by series index). */
  color?: string;
}

export interface PlotSpec {
  title: string;
  /** Smaller second line under the title (adapter, date). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Horizontal reference lines (e.g. a calibrated peak). */
  hLines?: { y: number; label: string }[];
  width?: number;
  height?: number;
}

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Tick values covering [lo, hi]: 1-2-5 steps on a linear axis, powers of ten (and 2, 5 when few) on a log axis. */
export function ticks(lo: number, hi: number, log: boolean, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  if (log) {
    const a = Math.floor(Math.log10(lo));
    const b = Math.ceil(Math.log10(hi));
    const out: number[] = [];
    const mult = b - a <= 2 ? [1, 2, 5] : [1];
    for (let e = a; e <= b; e++) for (const m of mult) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
    return out.length >= 2 ? out : [lo, hi];
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function fmtNum(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  if (a >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
}

export function linePlot(p: PlotSpec): string {
  const W = p.width ?? 720;
  const H = p.height ?? 440;
  const m = { l: 70, r: 210, t: p.subtitle ? 54 : 40, b: 55 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const pts = p.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.xLog || x > 0) && (!p.yLog || y > 0));
  const ys = [...pts.map(([, y]) => y), ...(p.hLines ?? []).map((h) => h.y).filter((y) => !p.yLog || y > 0)];
  const xs = pts.map(([x]) => x);
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (x0 === x1) [x0, x1] = p.xLog ? [x0 / 2, x1 * 2] : [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = p.yLog ? [y0 / 2, y1 * 2] : [y0 - 1, y1 + 1];
  if (p.yLog) [y0, y1] = [10 ** Math.floor(Math.log10(y0)), 10 ** Math.ceil(Math.log10(y1))];
  else {
    const pad = (y1 - y0) * 0.05;
    y1 += pad;
    if (y0 !== 0) y0 -= pad;
  }
  const tx = (x: number) => m.l + (p.xLog ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0)) * pw;
  const ty = (y: number) => m.t + ph - (p.yLog ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)) * ph;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(p.title)}</text>`);
  if (p.subtitle) o.push(`<text x="${W / 2}" y="40" text-anchor="middle" font-size="12" fill="#555">${escapeXml(p.subtitle)}</text>`);
  for (const v of ticks(x0, x1, !!p.xLog)) {
    const X = tx(v).toFixed(1);
    o.push(`<line x1="${X}" y1="${m.t}" x2="${X}" y2="${m.t + ph}" stroke="#e5e5e5"/>`);
    o.push(`<text x="${X}" y="${m.t + ph + 16}" text-anchor="middle">${fmtNum(v)}</text>`);
  }
  for (const v of ticks(y0, y1, !!p.yLog)) {
    const Y = ty(v).toFixed(1);
    o.push(`<line x1="${m.l}" y1="${Y}" x2="${m.l + pw}" y2="${Y}" stroke="#e5e5e5"/>`);
    o.push(`<text x="${m.l - 6}" y="${Y}" text-anchor="end" dominant-baseline="middle">${fmtNum(v)}</text>`);
  }
  o.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  o.push(`<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle">${escapeXml(p.xLabel)}${p.xLog ? ' (log)' : ''}</text>`);
  o.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(p.yLabel)}${p.yLog ? ' (log)' : ''}</text>`);
  for (const h of p.hLines ?? []) {
    if (p.yLog && h.y <= 0) continue;
    const Y = ty(h.y).toFixed(1);
    o.push(`<line x1="${m.l}" y1="${Y}" x2="${m.l + pw}" y2="${Y}" stroke="#555" stroke-dasharray="6 4"/>`);
    o.push(`<text x="${m.l + 4}" y="${(+Y - 4).toFixed(1)}" fill="#555">${escapeXml(h.label)}</text>`);
  }
  p.series.forEach((s, i) => {
    const c = s.color ?? COLORS[i % COLORS.length];
    const sp = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.xLog || x > 0) && (!p.yLog || y > 0));
    if (sp.length > 1) {
      const d = sp.map(([x, y], k) => `${k ? 'L' : 'M'}${tx(x).toFixed(1)} ${ty(y).toFixed(1)}`).join(' ');
      o.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    for (const [x, y] of sp) o.push(`<circle cx="${tx(x).toFixed(1)}" cy="${ty(y).toFixed(1)}" r="3" fill="${c}"/>`);
    const ly = m.t + 10 + i * 18;
    o.push(`<line x1="${m.l + pw + 12}" y1="${ly}" x2="${m.l + pw + 32}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    o.push(`<text x="${m.l + pw + 38}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  o.push('</svg>');
  return o.join('\n');
}
