import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { el } from "./dom.js";
import { formatCompact } from "./format.js";

/**
 * Charts with uPlot (decision 0008): time series as stacked bars or lines, and category bars.
 * Each chart sits in a figure with a text summary for screen readers, and follows its
 * container's width (laptop or phone).
 */

/** Okabe–Ito colours: told apart with the common colour-vision deficiencies. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
const OTHER = "#999999";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface TimeChartOptions {
  title: string;
  /** Bucket starts, ms since the epoch. */
  x: number[];
  series: ChartSeries[];
  /** Stacked bars (sums), else lines (rates, factors). */
  stacked: boolean;
  format: (value: number) => string;
  /** Tick labels, when they want fewer digits than the values. @default format */
  axisFormat?: (value: number) => string;
  hourly: boolean;
  /** A horizontal reference line, e.g. 1 for correction factors. */
  reference?: number;
  testId: string;
}

const HEIGHT = 260;

function mount(figure: HTMLElement, holder: HTMLElement, make: (width: number) => uPlot): void {
  // uPlot needs a width: the holder's once in the document (the caller inserts the figure in the
  // same task, so a microtask is enough and no frame is lost), then on every resize.
  queueMicrotask(() => {
    let width = Math.max(holder.clientWidth, 280);
    const plot = make(width);
    const observer = new ResizeObserver(() => {
      if (!figure.isConnected) {
        observer.disconnect();
        plot.destroy();
        return;
      }
      // The observer also reports once when it starts: redraw only for a real change of width.
      const now = Math.max(holder.clientWidth, 280);
      if (now === width) return;
      width = now;
      plot.setSize({ width, height: HEIGHT });
    });
    observer.observe(holder);
  });
}

function chartFigure(title: string, summary: string, testId: string, points: number): { figure: HTMLElement; holder: HTMLElement } {
  const holder = el("div", { class: "chart-holder" });
  const figure = el(
    "figure",
    { class: "chart", "data-testid": testId, "data-points": points, role: "group", "aria-label": title },
    el("figcaption", {}, title),
    el("p", { class: "visually-hidden" }, summary),
    holder,
  );
  return { figure, holder };
}

/** A time series chart; an empty range shows a line of text instead of blank axes. */
export function timeChart(options: TimeChartOptions): HTMLElement {
  const points = options.series.reduce((n, s) => n + s.values.filter((v) => v !== null && v !== 0).length, 0);
  const summary = options.series
    .map((s) => `${s.label}: ${options.format(s.values.reduce<number>((sum, v) => sum + (v ?? 0), 0))}${options.stacked ? " in total" : ""}`)
    .join("; ");
  const { figure, holder } = chartFigure(options.title, summary, options.testId, points);
  if (points === 0) {
    holder.append(el("p", { class: "empty" }, "No events in this range."));
    return figure;
  }
  const raw = options.series.map((s) => s.values);
  // Stacked: each series drawn is the running sum up to it, the tallest first so the lower ones paint over it.
  const drawn = options.stacked ? cumulative(raw).reverse() : raw;
  const order = options.stacked ? raw.map((_, i) => raw.length - 1 - i) : raw.map((_, i) => i);
  const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 48] }) : undefined;
  const xs = options.x.map((ms) => ms / 1000);
  mount(figure, holder, (width) => {
    const series: uPlot.Series[] = [
      { label: options.hourly ? "Hour (UTC)" : "Day (UTC)", value: (_u, v) => (v === null ? "–" : dateLabel(v, options.hourly)) },
      ...order.map((original): uPlot.Series => {
        const colour = colourOf(original);
        return {
          label: options.series[original]?.label ?? "",
          stroke: colour,
          width: options.stacked ? 0 : 2,
          fill: options.stacked ? colour : undefined,
          paths: options.stacked ? bars : undefined,
          points: { show: !options.stacked && xs.length < 60 },
          spanGaps: false,
          value: (_u, _v, _si, idx) => {
            const value = idx === null ? null : (raw[original]?.[idx] ?? null);
            return value === null ? "–" : options.format(value);
          },
        };
      }),
    ];
    const data: uPlot.AlignedData = [xs, ...drawn];
    return new uPlot(
      {
        width,
        height: HEIGHT,
        series,
        // Half a bucket of room at each end, so the first and last bars are whole.
        scales: { x: { time: true, range: xRange(xs) }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
        axes: [
          { stroke: "#333", grid: { stroke: "#e5e5e5" } },
          { stroke: "#333", grid: { stroke: "#e5e5e5" }, size: 64, values: (_u, ticks) => ticks.map((t) => (options.axisFormat ?? options.format)(t)) },
        ],
        cursor: { drag: { x: false, y: false } },
        hooks: options.reference === undefined ? {} : { draw: [(u) => drawReference(u, options.reference as number)] },
        legend: { live: true },
      },
      data,
      holder,
    );
  });
  return figure;
}

export interface BarChartOptions {
  title: string;
  labels: string[];
  values: number[];
  /** What the categories are, for the legend. */
  categoryLabel: string;
  /** What a bar counts, for the legend. */
  valueLabel: string;
  format: (value: number) => string;
  /** Tick labels, when they want fewer digits than the values. @default format */
  axisFormat?: (value: number) => string;
  testId: string;
}

/** Bars by category (a histogram, a rate per model). */
export function barChart(options: BarChartOptions): HTMLElement {
  const points = options.values.filter((v) => v !== 0).length;
  const summary = options.labels.map((label, i) => `${label}: ${options.format(options.values[i] ?? 0)}`).join("; ");
  const { figure, holder } = chartFigure(options.title, summary, options.testId, points);
  if (points === 0) {
    holder.append(el("p", { class: "empty" }, "Nothing to show in this range."));
    return figure;
  }
  const xs = options.labels.map((_, i) => i);
  const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 64] }) : undefined;
  mount(figure, holder, (width) =>
    new uPlot(
      {
        width,
        height: HEIGHT,
        series: [
          { label: options.categoryLabel, value: (_u, v) => (v === null ? "–" : (options.labels[v] ?? "")) },
          { label: options.valueLabel, stroke: PALETTE[0], fill: PALETTE[0], width: 0, paths: bars, points: { show: false }, value: (_u, v) => (v === null ? "–" : options.format(v)) },
        ],
        scales: { x: { time: false, range: [-0.5, options.labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: "#333", grid: { show: false }, splits: () => xs, values: (_u, ticks) => ticks.map((t) => options.labels[t] ?? ""), rotate: 0, size: 40 },
          { stroke: "#333", grid: { stroke: "#e5e5e5" }, size: 64, values: (_u, ticks) => ticks.map((t) => (options.axisFormat ?? options.format)(t)) },
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
      },
      [xs, options.values],
      holder,
    ),
  );
  return figure;
}

export function colourOf(index: number): string {
  return PALETTE[index % PALETTE.length] ?? OTHER;
}

function xRange(xs: number[]): [number, number] {
  const first = xs[0] ?? 0;
  const last = xs[xs.length - 1] ?? first;
  const half = xs.length > 1 ? ((xs[1] as number) - first) / 2 : 1800;
  return [first - half, last + half];
}

function cumulative(rows: (number | null)[][]): (number | null)[][] {
  const running: number[] = [];
  return rows.map((row) =>
    row.map((value, i) => {
      running[i] = (running[i] ?? 0) + (value ?? 0);
      return running[i] ?? 0;
    }),
  );
}

function dateLabel(seconds: number, hourly: boolean): string {
  const iso = new Date(seconds * 1000).toISOString();
  return hourly ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

function drawReference(u: uPlot, value: number): void {
  const y = u.valToPos(value, "y", true);
  const { ctx } = u;
  ctx.save();
  ctx.strokeStyle = "#555";
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(u.bbox.left, y);
  ctx.lineTo(u.bbox.left + u.bbox.width, y);
  ctx.stroke();
  ctx.restore();
}

/** Axis tick labels for counts. */
export const compactAxis = (value: number): string => formatCompact(value);
