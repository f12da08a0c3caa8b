import type { Point } from './downsample.js';
import { esc } from './escape.js';
import { formatValue, UNIT_LABEL, unitOf } from './units.js';

/** Something that happened, drawn as a vertical line on a chart's time axis. */
export interface Marker {
  at: number;
  kind: 'reset' | 'event' | 'alarm' | 'cutover' | 'transition';
  label: string;
}

export interface ChartSeries {
  /** The metric key (`keyDrift@db3`): the series name in the legend and in `data-key`. */
  key: string;
  points: readonly Point[];
}

export interface ChartInput {
  id: string;
  title: string;
  /** The metric key whose unit labels the y axis (every series of a chart shares it). */
  unitKey: string;
  series: readonly ChartSeries[];
  from: number;
  to: number;
  markers: readonly Marker[];
}

const W = 480;
const H = 230;
const PAD = { left: 74, right: 10, top: 10, bottom: 36 };

/**
 * A time-series chart as inline SVG, drawn on the server (no script, no library, nothing from a CDN): a
 * line per series with a gap where a sample had no data, a dot per kept point carrying its stored time and
 * value (`data-at`, `data-v`, what the browser test compares with the samples API), labelled axes with the
 * unit, and resets, events, alarms and the cutover as vertical lines with a hover title. Pure.
 */
export function renderChart(c: ChartInput): string {
  const unit = unitOf(c.unitKey);
  const values = c.series.flatMap((s) => s.points.map((p) => p.v)).filter((v): v is number => v !== null);
  const span = Math.max(1, c.to - c.from);
  let lo = values.length ? Math.min(0, ...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi === lo) hi = lo + (Math.abs(lo) || 1);
  const pad = (hi - lo) * 0.05;
  hi += pad;
  if (lo < 0) lo -= pad;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (at: number) => PAD.left + ((at - c.from) / span) * plotW;
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * plotH;
  const f = (n: number) => n.toFixed(1);

  const yTicks = [0, 1, 2, 3].map((i) => lo + ((hi - lo) * i) / 3);
  const xTicks = [0, 1, 2].map((i) => c.from + (span * i) / 2);
  const grid = [
    ...yTicks.map(
      (v) =>
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(v))}" y2="${f(y(v))}"/><text class="tick" x="${PAD.left - 4}" y="${f(y(v) + 4)}" text-anchor="end">${esc(formatValue(v, unit))}</text>`,
    ),
    ...xTicks.map(
      (at, i) =>
        `<text class="tick" x="${f(x(at))}" y="${H - PAD.bottom + 15}" text-anchor="${i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}">${esc(timeLabel(at, span))}</text>`,
    ),
  ].join('');

  const lines = c.series
    .map((s, i) => {
      let d = '';
      let pen = false;
      for (const p of s.points) {
        if (p.v === null) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${f(x(p.at))} ${f(y(p.v))}`;
        pen = true;
      }
      const dots = s.points
        .filter((p) => p.v !== null)
        .map(
          (p) =>
            `<circle class="pt" cx="${f(x(p.at))}" cy="${f(y(p.v as number))}" r="1.6" data-at="${p.at}" data-v="${esc(p.v)}"><title>${esc(`${new Date(p.at).toISOString()} ${formatValue(p.v, unit)}`)}</title></circle>`,
        )
        .join('');
      return `<g class="series s${i % 6}" data-key="${esc(s.key)}" data-points="${s.points.length}"><path class="line" d="${d}"/>${dots}</g>`;
    })
    .join('');

  const marks = c.markers
    .filter((m) => m.at >= c.from && m.at <= c.to)
    .map(
      (m) =>
        `<line class="mk mk-${m.kind}" data-kind="${m.kind}" data-at="${m.at}" x1="${f(x(m.at))}" x2="${f(x(m.at))}" y1="${PAD.top}" y2="${H - PAD.bottom}"><title>${esc(`${m.kind} ${new Date(m.at).toISOString()}: ${m.label}`)}</title></line>`,
    )
    .join('');

  const legend = c.series.map((s, i) => `<span class="key s${i % 6}">${esc(s.key)}</span>`).join(' ');
  const empty =
    values.length === 0
      ? `<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">no data in this range</text>`
      : '';
  return `<figure class="chart" id="${esc(c.id)}"><figcaption>${esc(c.title)} <span class="legend">${legend}</span></figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(`${c.title}, ${UNIT_LABEL[unit]} over time`)}" data-from="${c.from}" data-to="${c.to}">
<rect class="plot" x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}"/>${grid}${marks}${lines}${empty}
<text class="axis" x="${PAD.left + plotW / 2}" y="${H - 4}" text-anchor="middle">time (UTC)</text>
<text class="axis" x="11" y="${PAD.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 11 ${PAD.top + plotH / 2})">${esc(UNIT_LABEL[unit])}</text>
</svg></figure>`;
}

/** A small line of the last values of a criterion's metric, for its table row. */
export function renderSparkline(points: readonly Point[]): string {
  const values = points.map((p) => p.v).filter((v): v is number => v !== null);
  if (values.length === 0) return '<span class="nodata">no samples</span>';
  const w = 120;
  const h = 24;
  const from = points[0]?.at ?? 0;
  const span = Math.max(1, (points[points.length - 1]?.at ?? from) - from);
  const lo = Math.min(...values);
  const hi = Math.max(...values) === lo ? lo + 1 : Math.max(...values);
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p.v === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${(((p.at - from) / span) * (w - 2) + 1).toFixed(1)} ${((1 - (p.v - lo) / (hi - lo)) * (h - 2) + 1).toFixed(1)}`;
    pen = true;
  }
  return `<svg class="spark" viewBox="0 0 ${w} ${h}" role="img" aria-label="recent values" data-points="${values.length}"><path d="${d}"/></svg>`;
}

function timeLabel(at: number, span: number): string {
  const iso = new Date(at).toISOString();
  // A range over two days is read by date; a shorter one by the clock.
  return span > 2 * 86_400_000 ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, span < 600_000 ? 19 : 16);
}
