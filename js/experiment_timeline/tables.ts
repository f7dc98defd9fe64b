// The ExperimentTimeline's rows in the shared grid (lib/grid.ts): the runs of an experiment (or the versions of a
// table) with their params, metrics and actions; the deltas of two runs; the row diff of two versions, whose changed
// cells are marked and show their value before and after.

import { renderCell } from "../lib/cells";
import type { Cell, Json } from "../lib/contract";
import { button, fmtCount, h, type Child } from "../lib/dom";
import type { GridColumn } from "../lib/grid";
import type { DiffColumnInfo, DiffRowInfo, MetricDelta, ParamDelta, RunInfo, TableVersionInfo } from "./contract";

export function text(value: Json | undefined): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? fmtCount(value) : value.toPrecision(4).replace(/\.?0+$/, "");
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function seconds(s: number | null): string {
  if (s === null) return "—";
  return s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

export function when(iso: string | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** What the runs' and versions' cells need from the panel: the pick boxes, the status chips and the actions. */
export interface TimelineCells {
  pickBox: (version: number, disabled: boolean) => HTMLElement;
  runActions: (run: RunInfo) => HTMLElement;
  versionActions: (version: TableVersionInfo) => HTMLElement;
  untag: (name: string) => void;
}

export const PARAM = "param:";
export const METRIC = "metric:";

function statusChip(run: RunInfo): HTMLElement {
  const label = run.dropped ? "dropped" : run.status;
  return h("span", { class: `pxw-et-status pxw-et-status-${label}`, title: run.error ?? "", testid: `pxw-et-status-${run.version}` }, label);
}

function runMarks(run: RunInfo, cells: TimelineCells): Child[] {
  return [
    run.adopted ? h("span", { class: "pxw-et-mark pxw-et-mark-adopted", title: "made by hand and adopted: no setup ran it" }, "adopted") : null,
    ...run.tags.map((t) =>
      h(
        "span",
        { class: "pxw-et-mark pxw-et-tag-chip", testid: `pxw-et-tag-${t}`, title: `tag ${t}: kept by every cleanup` },
        `🏷 ${t}`,
        button("×", () => cells.untag(t), { class: "pxw-et-untag", "aria-label": `Remove tag ${t}`, testid: `pxw-et-untag-${t}` }),
      ),
    ),
    run.latest ? h("span", { class: "pxw-et-mark pxw-et-mark-latest", title: "latest" }, "★ latest") : null,
    run.promoted ? h("span", { class: "pxw-et-mark pxw-et-mark-promoted", title: "promoted: kept by every cleanup" }, "◆ promoted") : null,
  ];
}

/** The runs' columns: pick, version, status, one per param and metric, duration, start, actions. */
export function runColumns(runs: RunInfo[], metrics: string[], charted: string | null, cells: TimelineCells): GridColumn<RunInfo>[] {
  const params = Array.from(new Set(runs.flatMap((r) => Object.keys(r.params))));
  return [
    { key: "pick", render: (run) => cells.pickBox(run.version, run.dropped || run.status !== "ok") },
    { key: "version", render: (run) => h("span", null, h("strong", null, `v${run.version}`), ...runMarks(run, cells)), cellAttrs: () => ({ class: "pxw-et-version" }) },
    { key: "status", render: (run) => statusChip(run) },
    ...params.map((p): GridColumn<RunInfo> => ({ key: `${PARAM}${p}`, label: p, numeric: true, render: (run) => text(run.params[p]) })),
    ...metrics.map((m): GridColumn<RunInfo> => ({
      key: `${METRIC}${m}`,
      label: m,
      numeric: true,
      accent: m === charted ? "var(--pxw-brand)" : undefined,
      title: m === charted ? `${m} (in the chart)` : undefined,
      render: (run) => text(run.metrics[m]),
      cellAttrs: (run) => ({ testid: `pxw-et-metric-${run.version}-${m}` }),
    })),
    { key: "duration", numeric: true, render: (run) => seconds(run.duration_s) },
    { key: "started", muted: true, render: (run) => when(run.started_at) },
    { key: "actions", label: "", render: (run) => cells.runActions(run) },
  ];
}

/** Header badges of the runs: "varies" on the params that differ between the runs that are not dropped. */
export function runBadge(column: GridColumn<RunInfo>, runs: RunInfo[]): Child {
  if (!column.key.startsWith(PARAM)) return null;
  const name = column.key.slice(PARAM.length);
  const values = new Set(runs.filter((r) => !r.dropped).map((r) => JSON.stringify(r.params[name] ?? null)));
  return values.size > 1 ? h("span", { class: "pxw-et-varies", title: "differs between the runs" }, "varies") : null;
}

/** The versions' columns of a table: pick, version, when, the kind of change, its counts, schema, actions. */
export function versionColumns(current: number | null, cells: TimelineCells): GridColumn<TableVersionInfo>[] {
  const count = (key: "inserts" | "updates" | "deletes" | "errors"): GridColumn<TableVersionInfo> => ({
    key,
    numeric: true,
    render: (v) => (v[key] ? fmtCount(v[key]) : ""),
  });
  return [
    { key: "pick", render: (v) => cells.pickBox(v.version, false) },
    {
      key: "version",
      render: (v) => h("span", null, h("strong", null, `v${v.version}`), v.version === current ? h("span", { class: "pxw-et-mark pxw-et-mark-latest" }, "★ current") : null),
      cellAttrs: () => ({ class: "pxw-et-version" }),
    },
    { key: "when", muted: true, render: (v) => when(v.created_at) },
    { key: "change", render: (v) => v.change_type ?? "" },
    count("inserts"),
    count("updates"),
    count("deletes"),
    count("errors"),
    { key: "schema", render: (v) => v.schema_change ?? "" },
    { key: "actions", label: "", render: (v) => cells.versionActions(v) },
  ];
}

/** The deltas of two runs: one row per param (or metric), its value in each and what changed. */
export function deltaColumns<D extends ParamDelta | MetricDelta>(title: string, a: number, b: number, change: (d: D) => Child): GridColumn<D>[] {
  return [
    { key: "name", label: title, render: (d) => d.name, cellAttrs: () => ({ class: "pxw-et-key" }) },
    { key: "a", label: `v${a}`, numeric: true, render: (d) => text(d.a) },
    { key: "b", label: `v${b}`, numeric: true, render: (d) => text(d.b) },
    { key: "delta", label: "Δ", render: change },
  ];
}

export function metricChange(m: MetricDelta): Child {
  if (m.delta === null) return "";
  return h("span", { class: m.delta === 0 ? "" : m.delta > 0 ? "pxw-et-up" : "pxw-et-down" }, `${m.delta > 0 ? "+" : ""}${text(m.delta)}`);
}

const CHANGE_KEY = "__change";

/** The row diff's columns: the kind of change, then every column of the two versions (changed cells: before → after). */
export function diffColumns(columns: DiffColumnInfo[]): GridColumn<DiffRowInfo>[] {
  return [
    {
      key: CHANGE_KEY,
      label: "change",
      render: (r) => (r.change === "added" ? "+ added" : r.change === "removed" ? "− removed" : "~ changed"),
      cellAttrs: () => ({ class: "pxw-et-change" }),
    },
    ...columns.map((c, j): GridColumn<DiffRowInfo> => {
      const mark = c.status === "key" ? "key" : c.status === "added" ? "new" : c.status === "removed" ? "gone" : "";
      return {
        key: c.name,
        title: `${c.type_text}${c.note ? ` — ${c.note}` : ""}`,
        meta: h("span", { class: "pxw-th-type" }, [c.type_text, mark && `(${mark})`].filter(Boolean).join(" ")),
        headerClass: c.compared ? undefined : "pxw-muted",
        render: (r, ctx) => {
          const cell = (value: Cell | undefined) => renderCell(value, { ...ctx, column: undefined });
          if (r.changed.includes(c.name) && r.before && r.after) {
            return h("div", null, h("div", { class: "pxw-et-before", title: "before" }, cell(r.before[j])), h("div", { class: "pxw-et-after", title: "after" }, cell(r.after[j])));
          }
          return cell(r.after?.[j] ?? r.before?.[j]);
        },
        cellAttrs: (r) => ({ testid: r.changed.includes(c.name) ? "pxw-et-changed-cell" : "pxw-et-cell" }),
      };
    }),
  ];
}

/** One column of a diff summary: its cells changed among the rows present in both versions. */
export interface StatRow {
  column: string;
  cells: number;
  of: number;
}

/** The diff summary's columns (like `dolt diff --stat`): column, cells changed, their share, a bar. */
export function statColumns(): GridColumn<StatRow>[] {
  return [
    { key: "column", render: (r) => r.column, cellAttrs: () => ({ class: "pxw-et-key" }) },
    { key: "cells changed", numeric: true, render: (r) => fmtCount(r.cells), cellAttrs: () => ({ testid: "pxw-et-stat-cells" }) },
    { key: "share", numeric: true, render: (r) => (r.of ? `${((100 * r.cells) / r.of).toFixed(1)} %` : "—") },
    {
      key: "bar",
      label: "",
      render: (r) => h("span", { class: "pxw-et-stat-bar", style: `width: ${r.of ? Math.max((100 * r.cells) / r.of, r.cells ? 2 : 0) : 0}%` }),
    },
  ];
}
