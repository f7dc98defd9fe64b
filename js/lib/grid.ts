// The reusable row grid: server-side pages of a table, with typed headers, sorting, media cells and a pager.
// The previous page stays on screen while the next one loads, and stays when a request fails.

import "./theme.css";
import "./grid.css";
import "./cells.css";
import { renderCell } from "./cells";
import type { Cell, ColumnInfo, PageReply, PageRequest } from "./contract";
import { h, replace, type Child } from "./dom";
import { closeLightbox, openLightbox, UrlPool } from "./media";
import { lastOffset, Pager } from "./pager";
import type { Reply } from "./rpc";

export type FetchPage = (req: PageRequest) => Promise<Reply<PageReply>>;
/** The number of rows a query matches (asked when a page came back before its count). */
export type FetchCount = (req: PageRequest) => Promise<number>;

/** How a panel extends the grid: its own cells, row classes and header badges, on top of the default rendering. */
export interface GridExtensions {
  /** Render a cell yourself; return null to keep the default rendering (media, JSON, text, errors …). */
  renderCell?: (cell: Cell | undefined, column: ColumnInfo, row: Cell[], rowIndex: number) => HTMLElement | null;
  /** Extra classes of a row's <tr> (e.g. "pxw-disagreement"). */
  rowClass?: (row: Cell[], columns: ColumnInfo[], rowIndex: number) => string | null | undefined;
  /** Something shown after a column's type in its header (e.g. a "best model" badge). */
  headerBadge?: (column: ColumnInfo) => Child;
  /** A row was clicked (not a media thumbnail or a link inside it). */
  onRowClick?: (row: Cell[], columns: ColumnInfo[], rowIndex: number) => void;
}

export interface GridOptions extends GridExtensions {
  fetchPage: FetchPage;
  fetchCount?: FetchCount;
  pageSize?: number;
  errorsOnly?: boolean;
  /** Prefix of every data-testid inside this grid (default "pxw"): two grids in one panel stay distinct. */
  idPrefix?: string;
  emptyText?: string;
  /** A request failed (the previous page and query stay). */
  onError?: (err: unknown) => void;
  /** A page is on screen; `query` is the request that produced it. */
  onPage?: (reply: PageReply, query: PageRequest) => void;
  /** The committed query, after every success or failure (filter bars and toggles render from it). */
  onQuery?: (query: PageRequest) => void;
  onPageSize?: (size: number) => void;
}

const LOADING_DELAY_MS = 120;

export class Grid {
  readonly el: HTMLElement;
  private readonly table = h("table", { class: "pxw-table" });
  private readonly thead = h("thead");
  private readonly tbody = h("tbody");
  private readonly empty = h("div", { class: "pxw-empty", hidden: true });
  private readonly scroller: HTMLElement;
  private readonly body: HTMLElement;
  private readonly resizeObserver: ResizeObserver | undefined;
  private readonly pager: Pager;
  private readonly prefix: string;
  private committed: PageRequest;
  private requested: PageRequest;
  private columns: ColumnInfo[] = [];
  private columnKey = "";
  private urls = new UrlPool();
  private seq = 0;
  private loadingTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly opts: GridOptions) {
    this.prefix = opts.idPrefix ?? "pxw";
    this.committed = {
      offset: 0,
      limit: opts.pageSize ?? 25,
      order_by: null,
      filters: [],
      errors_only: opts.errorsOnly ?? false,
    };
    this.requested = this.committed;
    this.pager = new Pager(this.prefix, {
      onOffset: (offset) => void this.load({ offset }),
      onPageSize: (limit) => void this.setPageSize(limit),
    });
    this.table.append(this.thead, this.tbody);
    this.scroller = h("div", { class: "pxw-grid-scroll" }, this.table, this.empty);
    this.body = h("div", { class: "pxw-grid-body" }, this.scroller, h("div", { class: "pxw-grid-fade", testid: `${this.prefix}-grid-fade`, "aria-hidden": "true" }));
    this.el = h(
      "div",
      { class: "pxw-grid", testid: `${this.prefix}-grid` },
      h("div", { class: "pxw-grid-loading", "aria-hidden": "true" }),
      this.body,
      this.pager.el,
    );
    this.scroller.addEventListener("scroll", () => this.updateOverflow(), { passive: true });
    if (typeof ResizeObserver !== "undefined") {
      this.resizeObserver = new ResizeObserver(() => this.updateOverflow());
      this.resizeObserver.observe(this.scroller);
      this.resizeObserver.observe(this.table);
    }
    this.pager.update(0, this.committed.limit, 0);
  }

  /** The query of the page on screen. */
  get query(): PageRequest {
    return this.committed;
  }

  /**
   * Load a page with `changes` applied to the latest requested query. Resolves true when that page is on screen,
   * false when the request failed (error reported, previous page kept) or a newer request replaced it.
   * With `reset` (another table), a failure empties the grid instead: no rows of the previous table stay.
   */
  async load(changes: Partial<PageRequest> = {}, { reset = false }: { reset?: boolean } = {}): Promise<boolean> {
    if (this.disposed) return false;
    const req: PageRequest = { ...this.requested, ...changes };
    req.offset = Math.max(0, Math.floor(req.offset));
    this.requested = req;
    const seq = ++this.seq;
    this.setLoading(true);
    try {
      const reply = await this.opts.fetchPage(req);
      if (seq !== this.seq || this.disposed) return false;
      const page = reply.payload;
      if (page.rows.length === 0 && page.total !== null && page.total > 0 && req.offset > 0) {
        // The table shrank under us: show its last page instead of an empty one.
        return await this.load({ offset: lastOffset(page.total, req.limit) });
      }
      this.committed = req;
      this.render(reply);
      this.opts.onPage?.(page, req);
      this.opts.onQuery?.(req);
      if (page.total === null) void this.countFor(req, seq);
      return true;
    } catch (err) {
      if (seq !== this.seq || this.disposed) return false;
      if (reset) {
        this.committed = req;
        this.clear();
      }
      this.requested = this.committed;
      this.opts.onError?.(err);
      this.opts.onQuery?.(this.committed);
      return false;
    } finally {
      if (seq === this.seq) this.setLoading(false);
    }
  }

  reload(): Promise<boolean> {
    return this.load({});
  }

  async setPageSize(limit: number): Promise<boolean> {
    const offset = Math.floor(this.requested.offset / limit) * limit;
    const ok = await this.load({ limit, offset });
    if (ok) this.opts.onPageSize?.(limit);
    return ok;
  }

  /** Click on a sortable header: ascending → descending → unsorted. */
  cycleSort(column: string): Promise<boolean> {
    const cur = this.requested.order_by;
    const order_by = cur?.column !== column ? { column, asc: true } : cur.asc ? { column, asc: false } : null;
    return this.load({ order_by, offset: 0 });
  }

  /** Empty the grid (e.g. the table changed and its first page failed): no stale rows of another table. */
  clear(): void {
    closeLightbox(this.el);
    this.urls.revokeAll();
    this.columns = [];
    this.columnKey = "";
    replace(this.thead);
    replace(this.tbody);
    replace(this.empty, "No rows to show.");
    this.empty.hidden = false;
    this.pager.update(0, this.committed.limit, 0);
    this.updateOverflow();
  }

  dispose(): void {
    this.disposed = true;
    this.seq++;
    this.resizeObserver?.disconnect();
    clearTimeout(this.loadingTimer);
    closeLightbox(this.el);
    this.urls.revokeAll();
  }

  // ---- rendering ---------------------------------------------------------------------------------------------

  private setLoading(on: boolean): void {
    clearTimeout(this.loadingTimer);
    this.el.setAttribute("aria-busy", String(on));
    if (on) {
      // Only show the loading state for slow pages: fast ones swap in without any flicker.
      this.loadingTimer = setTimeout(() => this.el.classList.add("pxw-loading"), LOADING_DELAY_MS);
    } else {
      this.el.classList.remove("pxw-loading");
    }
  }

  private render({ payload, buffers }: Reply<PageReply>): void {
    const old = this.urls.take();
    closeLightbox(this.el);
    this.columns = payload.columns;
    const key = JSON.stringify(payload.columns);
    if (key !== this.columnKey) {
      this.columnKey = key;
      this.renderHeader();
    }
    this.updateSortMarks();
    const ctx = {
      buffers,
      urls: this.urls,
      openImage: (url: string, cell: Cell, caption: string) => openLightbox(this.el, url, cell, caption),
    };
    const rows = payload.rows.map((row, i) => {
      const extra = this.opts.rowClass?.(row, this.columns, i);
      const tr = h("tr", { class: extra || undefined }, h("td", { class: "pxw-rownum" }, String(payload.offset + i + 1)));
      this.columns.forEach((col, j) => {
        const cell = row[j];
        const kind = cell?.kind ?? "null";
        const td = h("td", { testid: "pxw-cell", "data-kind": kind, "data-column": col.name, class: `pxw-td pxw-kind-${kind}` });
        td.appendChild(this.opts.renderCell?.(cell, col, row, i) ?? renderCell(cell, { ...ctx, column: col }));
        tr.appendChild(td);
      });
      if (this.opts.onRowClick) {
        tr.classList.add("pxw-clickable");
        tr.addEventListener("click", (ev) => {
          if ((ev.target as HTMLElement).closest("button, a, img")) return;
          this.opts.onRowClick?.(row, this.columns, i);
        });
      }
      return tr;
    });
    replace(this.tbody, ...rows);
    this.empty.hidden = rows.length > 0;
    replace(this.empty, this.opts.emptyText ?? (this.committed.filters.length || this.committed.errors_only ? "No rows match." : "No rows."));
    this.pager.update(payload.offset, payload.limit, payload.total, payload.elapsed_ms, payload.rows.length);
    this.scroller.scrollTop = 0;
    this.updateOverflow();
    old.revokeAll(); // the previous page's thumbnails are gone from the DOM now
  }

  /** The page came back before its count: ask for the count, and show it if the page is still the one on screen. */
  private async countFor(req: PageRequest, seq: number): Promise<void> {
    if (!this.opts.fetchCount) return;
    try {
      const total = await this.opts.fetchCount(req);
      if (seq === this.seq && !this.disposed) this.pager.setTotal(total);
    } catch (err) {
      if (seq === this.seq && !this.disposed) this.opts.onError?.(err);
    }
  }

  private renderHeader(): void {
    const ths = this.columns.map((col) => {
      const name = col.sortable
        ? h("button", { type: "button", class: "pxw-th-name pxw-sortable", title: `Sort by ${col.name}` }, col.name, h("span", { class: "pxw-sort-mark", "aria-hidden": "true" }))
        : h("span", { class: "pxw-th-name" }, col.name);
      if (col.sortable) name.addEventListener("click", () => void this.cycleSort(col.name));
      const computed = col.is_computed
        ? h("span", { class: "pxw-computed", title: `computed with: ${col.computed_with ?? "?"}${col.is_stored ? "" : " (not stored)"}`, testid: "pxw-computed-marker" }, "ƒ")
        : null;
      const meta = h("div", { class: "pxw-th-meta" }, h("span", { class: "pxw-th-type", title: col.type_text || col.type }, col.type_text || col.type), computed, col.is_stored ? null : h("span", { class: "pxw-dim", title: "not stored: computed when read" }, "unstored"), this.opts.headerBadge?.(col) ?? null);
      const problem = col.problem ? h("div", { class: "pxw-th-problem", title: col.problem, testid: "pxw-column-problem" }, `⚠ ${col.problem}`) : null;
      return h("th", { testid: `${this.prefix}-header-${col.name}`, "data-column": col.name, scope: "col", class: col.problem ? "pxw-has-problem" : undefined }, h("div", { class: "pxw-th" }, name, meta, problem));
    });
    replace(this.thead, h("tr", null, h("th", { class: "pxw-rownum", scope: "col" }, "#"), ...ths));
  }

  /** A fade on the right edge while more columns are hidden to the right. */
  private updateOverflow(): void {
    const s = this.scroller;
    this.body.classList.toggle("pxw-more-right", s.scrollLeft + s.clientWidth < s.scrollWidth - 1);
  }

  private updateSortMarks(): void {
    const order = this.committed.order_by;
    for (const th of Array.from(this.thead.querySelectorAll<HTMLElement>("th[data-column]"))) {
      const active = order?.column === th.dataset.column;
      const dir = active ? (order!.asc ? "ascending" : "descending") : "none";
      th.setAttribute("aria-sort", dir);
      const mark = th.querySelector(".pxw-sort-mark");
      if (mark) mark.textContent = active ? (order!.asc ? " ▲" : " ▼") : "";
    }
  }
}
