// One chart component for every panel: draws a plotly figure made in Python (`figure_payload(fig)` in
// pxwidgets/panels/charts.py) with plotly.js 4 (cartesian traces: scatter, bar, heatmap, histogram, box, …),
// styled from JupyterLab's theme so it reads in dark and light mode, resized with its container.
// plotly.js is loaded on the first chart, so panels that show no chart never pay for it.

import "./chart.css";
import { h } from "./dom";

import type { FigurePayload } from "./contract";

export type { FigurePayload };

type PlotlyModule = typeof import("plotly.js-cartesian-dist-min").default;
let plotly: Promise<PlotlyModule> | null = null;

function loadPlotly(): Promise<PlotlyModule> {
  plotly ??= import("plotly.js-cartesian-dist-min").then((m) => (m.default ?? m) as PlotlyModule);
  return plotly;
}

function cssVar(el: Element, name: string, fallback: string): string {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || fallback;
}

/** Layout defaults taken from the surrounding theme (JupyterLab's CSS variables). */
export function themeLayout(el: Element): Record<string, unknown> {
  const text = cssVar(el, "--jp-ui-font-color1", "#222");
  const grid = cssVar(el, "--jp-border-color2", "#ddd");
  const axis = { gridcolor: grid, zerolinecolor: grid, linecolor: grid, automargin: true };
  return {
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: text, family: cssVar(el, "--jp-ui-font-family", "system-ui, sans-serif"), size: 12 },
    xaxis: axis,
    yaxis: axis,
    colorway: ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"],
    margin: { l: 56, r: 16, t: 8, b: 44, autoexpand: true },
    legend: { bgcolor: "rgba(0,0,0,0)" },
  };
}

/** The legend's place in every panel chart: one row (wrapping) above the plot area, left-aligned, so it never sits
 * on the x-axis tick labels (rotated dates at narrow widths) and plotly grows the top margin to fit it. */
export const LEGEND_ABOVE = { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom", yref: "paper", traceorder: "normal" };

/** The title's text of a plotly layout (a string or `{text}`), or "". */
export function titleText(layout: Record<string, unknown>): string {
  const title = layout.title;
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && typeof (title as { text?: unknown }).text === "string") return (title as { text: string }).text;
  return "";
}

/** The layout a panel draws: the theme's, the figure's, then the shared placement. The title leaves the SVG (the
 * chart shows it as wrapping HTML text above the plot, where a long title cannot be clipped at narrow widths), the
 * plot fills the rest of the chart's box and the legend goes above the plot area; the figure's top margin gives way
 * to what plotly measures.
 *
 * Example: `panelLayout(themeLayout(el), {title: {text: "Drift"}, legend: {y: -0.2}})` has no title and
 * `legend.y === 1`. */
export function panelLayout(theme: Record<string, unknown>, figure: Record<string, unknown>): Record<string, unknown> {
  const layout = mergeLayout(theme, figure);
  delete layout.title;
  delete layout.height; // the plot fills what its box leaves below the title (the panel's CSS sets the box's height)
  delete layout.width;
  const margin = { ...(layout.margin as Record<string, unknown>), t: 8, autoexpand: true };
  return { ...layout, margin, legend: { ...(layout.legend as object), ...LEGEND_ABOVE }, autosize: true };
}

/** Merge `extra` into `base` one level deep for objects (axes keep the theme's colours and the figure's titles). */
export function mergeLayout(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const prev = out[key];
    const bothObjects =
      prev && value && typeof prev === "object" && typeof value === "object" && !Array.isArray(prev) && !Array.isArray(value);
    out[key] = bothObjects ? { ...(prev as object), ...(value as object) } : value;
  }
  // Every extra axis of the figure (xaxis2, yaxis3, …) gets the theme's axis colours too.
  for (const key of Object.keys(extra)) {
    if (/^[xy]axis\d+$/.test(key)) out[key] = { ...(base.xaxis as object), ...(extra[key] as object) };
  }
  return out;
}

/** A chart on screen: `update()` redraws it with a new figure; `dispose()` frees plotly's resources. */
export class Chart {
  /** The chart's box (its testid, `data-traces`): the title above the plot. */
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly plot: HTMLElement;
  private figure: FigurePayload | null = null;
  private readonly resize: ResizeObserver | undefined;
  private readonly themeWatch: MutationObserver | undefined;
  private disposed = false;

  constructor(testid = "pxw-chart") {
    this.title = h("div", { class: "pxw-chart-title", hidden: true });
    this.plot = h("div", { class: "pxw-chart-plot" });
    this.el = h("div", { class: "pxw-chart", testid }, this.title, this.plot);
    if (typeof ResizeObserver !== "undefined") {
      this.resize = new ResizeObserver(() => void this.relayout());
      this.resize.observe(this.plot);
    }
    if (typeof MutationObserver !== "undefined" && typeof document !== "undefined") {
      // JupyterLab switches themes by changing attributes on <body>.
      this.themeWatch = new MutationObserver(() => void this.draw());
      this.themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
    }
  }

  /** Draw `figure` (or clear the chart for null). Resolves when it is on screen. */
  async update(figure: FigurePayload | null): Promise<void> {
    this.figure = figure;
    await this.draw();
  }

  private async draw(): Promise<void> {
    if (this.disposed) return;
    const lib = await loadPlotly();
    if (this.disposed) return;
    if (!this.figure) {
      lib.purge(this.plot);
      this.title.hidden = true;
      this.el.dataset.traces = "0";
      return;
    }
    const title = titleText(this.figure.layout);
    this.title.textContent = title;
    this.title.hidden = !title;
    await lib.react(this.plot, this.figure.data as never, panelLayout(themeLayout(this.el), this.figure.layout) as never, {
      displaylogo: false,
      responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d"],
    });
    this.el.dataset.traces = String(this.figure.data.length);
  }

  private async relayout(): Promise<void> {
    if (this.disposed || !this.figure || !this.plot.isConnected) return;
    const lib = await loadPlotly();
    if (!this.disposed) lib.Plots.resize(this.plot);
  }

  dispose(): void {
    this.disposed = true;
    this.resize?.disconnect();
    this.themeWatch?.disconnect();
    if (plotly) void plotly.then((lib) => lib.purge(this.plot));
  }
}

/** Draw a figure into `parent` once (a new Chart appended to it). */
export async function renderFigure(parent: HTMLElement, figure: FigurePayload, testid?: string): Promise<Chart> {
  const chart = new Chart(testid);
  parent.append(chart.el);
  await chart.update(figure);
  return chart;
}
