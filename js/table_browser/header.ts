// The TableBrowser's part of the shell's header: the table path as a catalog picker, kind and version badges, row
// and column counts, the table's comment and problems under the header, and a refresh button.

import type { PanelShell } from "../lib/shell";
import type { CatalogReply, InfoReply } from "./contract";
import { button, fmtCount, h, replace } from "../lib/dom";

export interface HeaderHandlers {
  onOpen: (path: string) => void;
  onRefresh: () => void;
}

export class Header {
  private readonly picker = h("select", { class: "pxw-select pxw-picker", testid: "pxw-table-picker", "aria-label": "Table" });
  private readonly comment = h("div", { class: "pxw-header-comment", testid: "pxw-table-comment", hidden: true });
  private readonly problems = h("ul", { class: "pxw-problems", testid: "pxw-problems", role: "status", hidden: true });
  private readonly refreshBtn: HTMLButtonElement;
  private catalog: CatalogReply["tables"] = [];
  private path = "";

  constructor(private readonly shell: PanelShell, handlers: HeaderHandlers) {
    this.picker.addEventListener("change", () => {
      const target = this.picker.value;
      this.picker.value = this.path; // stays on the shown table until the kernel has opened the other one
      if (target && target !== this.path) handlers.onOpen(target);
    });
    this.refreshBtn = button("↻", () => handlers.onRefresh(), { class: "pxw-btn pxw-btn-icon pxw-refresh", title: "Refresh (reload info and rows)", "aria-label": "Refresh", testid: "pxw-refresh" });
    shell.setBadges(this.picker);
    shell.toolbar.append(this.refreshBtn);
    shell.notes.append(this.comment, this.problems);
  }

  setCatalog(catalog: CatalogReply): void {
    this.catalog = catalog.tables;
    this.renderPicker();
  }

  setBusy(busy: boolean): void {
    this.refreshBtn.classList.toggle("pxw-spinning", busy);
    this.picker.disabled = busy;
  }

  /** Show the table path before its info arrived (or when info failed). */
  setPath(path: string): void {
    this.path = path;
    this.renderPicker();
  }

  setInfo(info: InfoReply): void {
    this.path = info.path;
    this.renderPicker();
    this.shell.setBadges(
      this.picker,
      h("span", { class: `pxw-badge pxw-badge-${info.kind}`, testid: "pxw-table-kind" }, info.kind),
      h("span", { class: "pxw-badge pxw-badge-version", testid: "pxw-table-version", title: "table version" }, info.version === null ? "v?" : `v${info.version}`),
      h("span", { class: "pxw-header-count", testid: "pxw-row-count" }, `${fmtCount(info.total_rows)} rows`),
      h("span", { class: "pxw-dim" }, `· ${info.columns.length} columns`),
    );
    replace(this.comment, info.comment ?? "");
    this.comment.hidden = !info.comment;
    replace(this.problems, ...info.problems.map((p) => h("li", null, h("span", { "aria-hidden": "true" }, "⚠ "), p)));
    this.problems.hidden = info.problems.length === 0;
  }

  private renderPicker(): void {
    const tables = this.catalog.some((t) => t.path === this.path) || !this.path ? this.catalog : [{ path: this.path, kind: "" }, ...this.catalog];
    replace(this.picker, ...tables.map((t) => h("option", { value: t.path }, t.kind && t.kind !== "table" ? `${t.path} · ${t.kind}` : t.path)));
    this.picker.value = this.path;
  }
}
