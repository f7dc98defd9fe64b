// The "Columns" view of the selected stage: per column nulls, errors, min / max / mean (aggregated in the database by
// pxwidgets/patterns/progressive/stats.py), and a plotly bar chart of the chosen column's histogram or top values —
// the same figure `ProgressiveRefinement.stats_figure()` returns in Python. Kernel text is set as text, never HTML.

import { Chart } from "../lib/chart";
import { fmtCount, h, replace } from "../lib/dom";
import type { ColumnChartReply, ColumnStatsReply, ColumnSummary } from "./contract";

export interface ColumnsViewHandlers {
  loadStats: (stage: string) => Promise<ColumnStatsReply>;
  loadChart: (stage: string, column: string) => Promise<ColumnChartReply>;
  onError: (err: unknown) => void;
}

function fmtValue(v: number | string | null): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  return Number.isInteger(v) ? fmtCount(v) : v.toPrecision(4).replace(/\.?0+$/, "");
}

function fmtPart(n: number | null, rows: number): string {
  if (n === null || n === undefined) return "—";
  return rows > 0 && n > 0 ? `${fmtCount(n)} (${((100 * n) / rows).toFixed(1)}%)` : fmtCount(n);
}

export class ColumnsView {
  readonly el: HTMLElement;
  private readonly status = h("div", { class: "pxw-dim pxw-sb-cols-status", testid: "pxw-columns-status" });
  private readonly body = h("tbody");
  private readonly table: HTMLElement;
  private readonly chartNote = h("div", { class: "pxw-dim pxw-sb-cols-note", testid: "pxw-column-chart-note" });
  private readonly chart = new Chart("pxw-column-chart");
  private stage = "";
  private token = 0;

  constructor(private readonly handlers: ColumnsViewHandlers) {
    const head = ["Column", "Type", "Nulls", "Errors", "Min", "Max", "Mean", ""].map((t) => h("th", { scope: "col" }, t));
    this.table = h("table", { class: "pxw-sb-cols", testid: "pxw-column-stats", hidden: true }, h("thead", null, h("tr", null, ...head)), this.body);
    this.el = h(
      "div",
      { class: "pxw-sb-columns" },
      this.status,
      h("div", { class: "pxw-sb-cols-scroll" }, this.table),
      h("div", { class: "pxw-sb-cols-chart" }, this.chartNote, this.chart.el),
    );
    this.showStatus("Click a stage in the graph to see statistics of its columns.");
  }

  private showStatus(text: string): void {
    replace(this.status, text);
    this.status.hidden = !text;
  }

  /** Load the statistics of a stage's columns ('' clears). Only the newest request is shown. */
  async setStage(stage: string, opts: { force?: boolean } = {}): Promise<void> {
    if (stage === this.stage && !opts.force) return;
    this.stage = stage;
    const token = ++this.token;
    replace(this.body);
    this.table.hidden = true;
    replace(this.chartNote);
    void this.chart.update(null);
    if (!stage) {
      this.showStatus("Click a stage in the graph to see statistics of its columns.");
      return;
    }
    this.showStatus(`Counting the columns of ${stage} in the database…`);
    try {
      const reply = await this.handlers.loadStats(stage);
      if (token !== this.token) return;
      this.render(reply);
    } catch (err) {
      if (token !== this.token) return;
      this.showStatus(`Could not read the columns of ${stage}.`);
      this.handlers.onError(err);
    }
  }

  private render(reply: ColumnStatsReply): void {
    const rows = reply.columns[0]?.rows ?? 0;
    this.showStatus(`${reply.stage} · ${reply.table} · ${fmtCount(rows)} ${rows === 1 ? "row" : "rows"} · computed in the database`);
    replace(this.body, ...reply.columns.map((c) => this.row(c)));
    this.table.hidden = false;
    const first = reply.columns.find((c) => c.chart !== "none");
    if (first) void this.showChart(first.column);
    else replace(this.chartNote, "No column here has a histogram or top values (numbers, strings and booleans do).");
  }

  private row(c: ColumnSummary): HTMLElement {
    const chartBtn =
      c.chart === "none"
        ? null
        : h(
            "button",
            { type: "button", class: "pxw-btn pxw-btn-small", testid: "pxw-column-chart-btn", "data-column": c.column, title: `Show the ${c.chart === "top" ? "top values" : "histogram"} of ${c.column}` },
            c.chart === "top" ? "Top values" : "Histogram",
          );
    chartBtn?.addEventListener("click", () => void this.showChart(c.column));
    return h(
      "tr",
      { testid: "pxw-column-stat", "data-column": c.column, title: c.note || undefined },
      h("th", { scope: "row", class: "pxw-sb-cols-name" }, c.column, c.stored ? null : h("span", { class: "pxw-dim" }, " (computed when read)")),
      h("td", null, c.type),
      h("td", { "data-stat": "nulls" }, fmtPart(c.nulls, c.rows)),
      h("td", { "data-stat": "errors", class: c.errors ? "pxw-sb-cols-errors" : "" }, fmtPart(c.errors, c.rows)),
      h("td", { "data-stat": "min" }, fmtValue(c.min)),
      h("td", { "data-stat": "max" }, fmtValue(c.max)),
      h("td", { "data-stat": "mean" }, fmtValue(c.mean)),
      h("td", null, chartBtn ?? h("span", { class: "pxw-dim" }, c.note ? "—" : "")),
    );
  }

  async showChart(column: string): Promise<void> {
    for (const tr of Array.from(this.body.querySelectorAll<HTMLElement>("tr"))) tr.classList.toggle("pxw-selected", tr.dataset.column === column);
    const token = ++this.token;
    const stage = this.stage;
    replace(this.chartNote, `Counting ${column} in the database…`);
    try {
      const reply = await this.handlers.loadChart(stage, column);
      if (token !== this.token) return;
      replace(this.chartNote, reply.kind === "none" ? reply.note : reply.kind === "top" && reply.other ? `${fmtCount(reply.other)} more rows hold other values.` : "");
      await this.chart.update(reply.kind === "none" ? null : reply.figure);
    } catch (err) {
      if (token !== this.token) return;
      replace(this.chartNote, `Could not count ${column}.`);
      this.handlers.onError(err);
    }
  }

  get shownStage(): string {
    return this.stage;
  }

  dispose(): void {
    this.chart.dispose();
  }
}
