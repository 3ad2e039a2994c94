/**
 * Charts drawn on the server as SVG: no script, no external file, readable without JavaScript.
 * Stacked bars per time bucket, each with a tooltip (`<title>`), the largest value on the axis.
 * Colours are presentation attributes, so the page's Content-Security-Policy needs no inline style.
 */
import { escapeHtml } from './views.js';

export interface BarSeries {
  name: string;
  colour: string;
  values: readonly number[];
}

export interface BarChart {
  title: string;
  /** One label per bucket (its start time). */
  labels: readonly string[];
  series: readonly BarSeries[];
  format?: (value: number) => string;
}

const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 56, right: 8, top: 10, bottom: 32 };

export function barChart(chart: BarChart): string {
  const format = chart.format ?? ((v: number) => String(Math.round(v * 100) / 100));
  const n = chart.labels.length;
  const totals = chart.labels.map((_, i) => chart.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = n > 0 ? plotW / n : plotW;
  const barW = Math.max(1, slot * 0.8);
  const y = (v: number) => (max > 0 ? (v / max) * plotH : 0);
  const bars: string[] = [];
  chart.labels.forEach((label, i) => {
    let base = PAD.top + plotH;
    for (const s of chart.series) {
      const value = s.values[i] ?? 0;
      if (value <= 0) continue;
      const h = y(value);
      base -= h;
      bars.push(
        `<rect x="${(PAD.left + i * slot + (slot - barW) / 2).toFixed(1)}" y="${base.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${s.colour}">` +
          `<title>${escapeHtml(`${label} · ${s.name}: ${format(value)}`)}</title></rect>`,
      );
    }
  });
  const legend = chart.series
    .map((s, i) => `<rect x="${PAD.left + i * 110}" y="${HEIGHT - 11}" width="9" height="9" fill="${s.colour}"/><text x="${PAD.left + 13 + i * 110}" y="${HEIGHT - 2}" font-size="10" fill="#555">${escapeHtml(s.name)}</text>`)
    .join('');
  const axis =
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotH}" stroke="#bbb"/>` +
    `<text x="${PAD.left - 4}" y="${PAD.top + 8}" font-size="10" text-anchor="end" fill="#555">${escapeHtml(format(max))}</text>` +
    `<text x="${PAD.left - 4}" y="${PAD.top + plotH}" font-size="10" text-anchor="end" fill="#555">0</text>` +
    (n > 0
      ? `<text x="${PAD.left}" y="${PAD.top + plotH + 11}" font-size="9" fill="#777">${escapeHtml(chart.labels[0]!)}</text>` +
        `<text x="${WIDTH - PAD.right}" y="${PAD.top + plotH + 11}" font-size="9" text-anchor="end" fill="#777">${escapeHtml(chart.labels[n - 1]!)}</text>`
      : '');
  return (
    `<figure class="chart"><figcaption>${escapeHtml(chart.title)}</figcaption>` +
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escapeHtml(chart.title)}" xmlns="http://www.w3.org/2000/svg">${axis}${bars.join('')}${legend}</svg></figure>`
  );
}
