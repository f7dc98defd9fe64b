// The pager under a grid: first/prev/next/last, "rows a–b of N", page size. Never offers a page past the end.

import { button, fmtCount, h, replace, select } from "./dom";

export const PAGE_SIZES = [10, 25, 50, 100];

export interface PagerHandlers {
  onOffset: (offset: number) => void;
  onPageSize: (size: number) => void;
}

/** The offset of the last page (0 when there are no rows). */
export function lastOffset(total: number, limit: number): number {
  return total > 0 && limit > 0 ? Math.floor((total - 1) / limit) * limit : 0;
}

export class Pager {
  readonly el: HTMLElement;
  /** Controls the grid adds at the right of the bar, before the page size (e.g. the row density). */
  readonly tools = h("span", { class: "pxw-pager-tools" });
  private readonly first: HTMLButtonElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly last: HTMLButtonElement;
  private readonly info: HTMLElement;
  private readonly timing: HTMLElement;
  private readonly size: HTMLSelectElement;
  private offset = 0;
  private limit = 25;
  private total: number | null = 0;

  constructor(prefix: string, private readonly handlers: PagerHandlers) {
    const go = (target: () => number) => () => {
      const bound = this.total === null ? Number.MAX_SAFE_INTEGER : lastOffset(this.total, this.limit);
      const next = Math.max(0, Math.min(target(), bound));
      if (next !== this.offset) this.handlers.onOffset(next);
    };
    this.first = button("«", go(() => 0), { class: "pxw-btn pxw-btn-icon", title: "First page", "aria-label": "First page", testid: `${prefix}-first-page` });
    this.prev = button("‹", go(() => this.offset - this.limit), { class: "pxw-btn pxw-btn-icon", title: "Previous page", "aria-label": "Previous page", testid: `${prefix}-prev-page` });
    this.next = button("›", go(() => this.offset + this.limit), { class: "pxw-btn pxw-btn-icon", title: "Next page", "aria-label": "Next page", testid: `${prefix}-next-page` });
    this.last = button("»", go(() => lastOffset(this.total ?? 0, this.limit)), { class: "pxw-btn pxw-btn-icon", title: "Last page", "aria-label": "Last page", testid: `${prefix}-last-page` });
    this.info = h("span", { class: "pxw-page-info", testid: `${prefix}-page-info`, "aria-live": "polite" });
    this.timing = h("span", { class: "pxw-dim pxw-page-timing" });
    this.size = select(PAGE_SIZES.map((n) => [String(n), `${n} / page`]), { testid: `${prefix}-page-size`, "aria-label": "Rows per page" });
    this.size.addEventListener("change", () => this.handlers.onPageSize(Number(this.size.value)));
    this.el = h(
      "div",
      { class: "pxw-pager" },
      h("div", { class: "pxw-pager-nav" }, this.first, this.prev, this.info, this.next, this.last),
      this.timing,
      h("span", { class: "pxw-spacer" }),
      this.tools,
      this.size,
    );
  }

  /**
   * Show a page. `total` null means "still being counted": `shown` (the rows on the page) decides whether a next
   * page may exist, and the last-page button waits for the count (`setTotal`).
   */
  update(offset: number, limit: number, total: number | null, elapsedMs?: number, shown = limit): void {
    this.offset = offset;
    this.limit = limit;
    this.total = total;
    if (total === null) {
      replace(this.info, shown === 0 ? "no rows" : `rows ${fmtCount(offset + 1)}–${fmtCount(offset + shown)} of …`);
      this.info.title = "Counting the rows…";
    } else {
      const end = Math.min(offset + limit, total);
      replace(this.info, total === 0 ? "no rows" : `rows ${fmtCount(offset + 1)}–${fmtCount(end)} of ${fmtCount(total)}`);
      this.info.removeAttribute("title");
    }
    if (elapsedMs !== undefined) replace(this.timing, `${Math.round(elapsedMs)} ms`);
    const atStart = offset <= 0;
    this.first.disabled = this.prev.disabled = atStart;
    this.next.disabled = total === null ? shown < limit : offset >= lastOffset(total, limit);
    this.last.disabled = total === null || offset >= lastOffset(total, limit);
    this.setSize(limit);
  }

  /** The count arrived for the page on screen. */
  setTotal(total: number): void {
    this.update(this.offset, this.limit, total);
  }

  private setSize(limit: number): void {
    if (!PAGE_SIZES.includes(limit) && !this.size.querySelector(`option[value="${limit}"]`)) {
      this.size.appendChild(h("option", { value: String(limit) }, `${limit} / page`));
    }
    this.size.value = String(limit);
  }
}
