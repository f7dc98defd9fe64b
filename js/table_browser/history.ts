// The History tab: one row per table version (what changed, by whom, how many rows and errors).

import { fmtCount, h } from "../lib/dom";
import type { HistoryReply } from "./contract";

const HEAD = ["version", "created", "user", "change", "inserts", "updates", "deletes", "errors", "schema change"];

export function renderHistory(data: HistoryReply, currentVersion: number | null): HTMLElement {
  if (!data.versions.length) return h("div", { class: "pxw-empty" }, "No versions recorded.");
  const num = (n: number, cls = "") => h("td", { class: `pxw-num ${n ? cls : "pxw-dim"}`.trim() }, fmtCount(n ?? 0));
  const rows = data.versions.map((v) =>
    h(
      "tr",
      { testid: "pxw-history-row", class: v.version === currentVersion ? "pxw-row-current" : undefined },
      h("td", null, h("span", { class: "pxw-badge pxw-badge-version" }, `v${v.version}`)),
      h("td", { class: "pxw-nowrap", title: v.created_at }, v.created_at.replace("T", " ").replace(/\.\d+/, "")),
      h("td", null, v.user ?? h("span", { class: "pxw-dim" }, "—")),
      h("td", null, h("span", { class: `pxw-change pxw-change-${v.change_type.replace(/[^a-z0-9_-]/gi, "-")}` }, v.change_type)),
      num(v.inserts, "pxw-good"),
      num(v.updates),
      num(v.deletes),
      num(v.errors, "pxw-bad"),
      h("td", { class: "pxw-schema-change" }, v.schema_change ?? ""),
    ),
  );
  return h(
    "div",
    { class: "pxw-history pxw-grid-scroll" },
    h(
      "table",
      { class: "pxw-table pxw-history-table", testid: "pxw-history" },
      h("thead", null, h("tr", null, ...HEAD.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, ...rows),
    ),
  );
}
