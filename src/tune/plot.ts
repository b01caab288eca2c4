/**
 * An SVG of the held-out score (validation RMSE, or NDCG@10 for implicit ALS) against λ (log scale),
 * one line per rank: the source's "choosing the rank", measured. With several α or learning rates,
 * each rank's line follows the best of them at every λ.
 */
import type { Trial } from './tune.ts';

export function tunePlotSvg(trials: Trial[], title?: string): string {
  const metric = trials[0]?.metric ?? 'rmse';
  const label = metric === 'rmse' ? 'validation RMSE' : `validation ${metric.toUpperCase()}`;
  title ??= `${label} vs lambda, one line per rank`;
  const score = (t: Trial) => t.score ?? t.validationRmse;
  const done = trials.filter((t) => Number.isFinite(score(t)) && t.iterations > 0);
  const W = 640;
  const H = 400;
  const m = { l: 60, r: 110, t: 30, b: 45 };
  const lx = done.map((t) => Math.log10(Math.max(t.lambda, 1e-6)));
  const ys = done.map(score);
  const [x0, x1] = lx.length ? [Math.min(...lx), Math.max(...lx)] : [0, 1];
  const [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  const sx = (v: number) => m.l + ((v - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (v: number) => H - m.b - ((v - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const ranks = [...new Set(done.map((t) => t.rank))].sort((a, b) => a - b);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<text x="${m.l}" y="18">${esc(title)}</text>`];
  parts.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#000"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#000"/>`);
  parts.push(`<text x="${(W - m.r + m.l) / 2}" y="${H - 10}" text-anchor="middle">lambda (log scale)</text><text x="14" y="${(H - m.b + m.t) / 2}" transform="rotate(-90 14 ${(H - m.b + m.t) / 2})" text-anchor="middle">${label}</text>`);
  for (const v of [...new Set(done.map((t) => t.lambda))]) parts.push(`<text x="${sx(Math.log10(Math.max(v, 1e-6)))}" y="${H - m.b + 15}" text-anchor="middle">${v}</text>`);
  for (const v of [y0, (y0 + y1) / 2, y1]) parts.push(`<text x="${m.l - 5}" y="${sy(v) + 4}" text-anchor="end">${v.toFixed(4)}</text>`);
  ranks.forEach((r, k) => {
    // one point per lambda: the best trial of this rank there (several alphas / learning rates)
    const byLambda = new Map<number, Trial>();
    for (const t of done.filter((d) => d.rank === r)) {
      const o = byLambda.get(t.lambda);
      if (!o || (metric === 'rmse' ? score(t) < score(o) : score(t) > score(o))) byLambda.set(t.lambda, t);
    }
    const pts = [...byLambda.values()].sort((a, b) => a.lambda - b.lambda);
    const c = colors[k % colors.length];
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((t) => `${sx(Math.log10(Math.max(t.lambda, 1e-6))).toFixed(1)},${sy(score(t)).toFixed(1)}`).join(' ')}"/>`);
    for (const t of pts) parts.push(`<circle cx="${sx(Math.log10(Math.max(t.lambda, 1e-6))).toFixed(1)}" cy="${sy(score(t)).toFixed(1)}" r="${t.iterations === Math.max(...done.map((d) => d.iterations)) ? 4 : 2.5}" fill="${c}"><title>rank ${r}, lambda ${t.lambda}: ${score(t).toFixed(4)} after ${t.iterations} iterations</title></circle>`);
    parts.push(`<text x="${W - m.r + 10}" y="${m.t + 16 * k + 10}" fill="${c}">rank ${r}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
