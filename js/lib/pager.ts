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
  private readonly first: HTMLButtonElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly last: HTMLButtonElement;
  private readonly info: HTMLElement;
  private readonly timing: HTMLElement;
  private readonly size: HTMLSelectElement;
  private offset = 0;
  private limit = 25;
  private total = 0;

  constructor(prefix: string, private readonly handlers: PagerHandlers) {
    const go = (target: () => number) => () => {
      const next = Math.max(0, Math.min(target(), lastOffset(this.total, this.limit)));
      if (next !== this.offset) this.handlers.onOffset(next);
    };
    this.first = button("«", go(() => 0), { class: "pxw-btn pxw-btn-icon", title: "First page", "aria-label": "First page", testid: `${prefix}-first-page` });
    this.prev = button("‹", go(() => this.offset - this.limit), { class: "pxw-btn pxw-btn-icon", title: "Previous page", "aria-label": "Previous page", testid: `${prefix}-prev-page` });
    this.next = button("›", go(() => this.offset + this.limit), { class: "pxw-btn pxw-btn-icon", title: "Next page", "aria-label": "Next page", testid: `${prefix}-next-page` });
    this.last = button("»", go(() => lastOffset(this.total, this.limit)), { class: "pxw-btn pxw-btn-icon", title: "Last page", "aria-label": "Last page", testid: `${prefix}-last-page` });
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
      this.size,
    );
  }

  update(offset: number, limit: number, total: number, elapsedMs?: number): void {
    this.offset = offset;
    this.limit = limit;
    this.total = total;
    const end = Math.min(offset + limit, total);
    replace(this.info, total === 0 ? "no rows" : `rows ${fmtCount(offset + 1)}–${fmtCount(end)} of ${fmtCount(total)}`);
    replace(this.timing, typeof elapsedMs === "number" ? `${Math.round(elapsedMs)} ms` : "");
    const atStart = offset <= 0;
    const atEnd = offset >= lastOffset(total, limit);
    this.first.disabled = this.prev.disabled = atStart;
    this.next.disabled = this.last.disabled = atEnd;
    this.setSize(limit);
  }

  private setSize(limit: number): void {
    if (!PAGE_SIZES.includes(limit) && !this.size.querySelector(`option[value="${limit}"]`)) {
      this.size.appendChild(h("option", { value: String(limit) }, `${limit} / page`));
    }
    this.size.value = String(limit);
  }
}
