// The status strip of a panel: an error area (message, hint, dismiss) and a progress bar.

import "./status.css";
import { button, h, replace } from "./dom";
import { RpcError } from "./rpc";

/** Shows one error at a time: the message in bold, the hint below, a dismiss button. role="alert". */
export class ErrorArea {
  readonly el: HTMLElement;
  private readonly message = h("strong", { class: "pxw-error-message", testid: "pxw-error-message" });
  private readonly hint = h("div", { class: "pxw-error-hint", testid: "pxw-error-hint" });
  private readonly fields = h("ul", { class: "pxw-error-fields", testid: "pxw-error-fields", hidden: true });

  constructor() {
    this.el = h(
      "div",
      { class: "pxw-error", role: "alert", testid: "pxw-error", hidden: true },
      h("span", { class: "pxw-error-icon", "aria-hidden": "true" }, "!"),
      h("div", { class: "pxw-error-body" }, this.message, this.hint, this.fields),
      button("×", () => this.clear(), { class: "pxw-btn pxw-btn-icon pxw-error-close", "aria-label": "Dismiss", title: "Dismiss", testid: "pxw-error-dismiss" }),
    );
  }

  /** Show an error: an RpcError keeps its hint; anything else shows its message. */
  show(err: unknown): void {
    const info = describeError(err);
    replace(this.message, info.message);
    replace(this.hint, info.hint ?? "");
    this.hint.hidden = !info.hint;
    const params = err instanceof RpcError ? (err.details?.params ?? []) : [];
    replace(this.fields, ...params.map((p) => h("li", null, h("code", null, p.param), ": ", p.message)));
    this.fields.hidden = params.length === 0;
    this.el.dataset.code = info.code;
    this.el.hidden = false;
  }

  clear(): void {
    this.el.hidden = true;
  }

  get visible(): boolean {
    return !this.el.hidden;
  }
}

export function describeError(err: unknown): { message: string; code: string; hint?: string } {
  if (err instanceof RpcError) return { message: err.message, code: err.code, hint: err.hint };
  if (err instanceof Error) return { message: err.message, code: "client" };
  return { message: String(err), code: "client" };
}

/** A progress bar with `done/total` and a message; indeterminate when total is null. */
export class ProgressBar {
  readonly el: HTMLElement;
  private readonly fill = h("div", { class: "pxw-progress-fill" });
  private readonly label = h("span", { class: "pxw-progress-label", testid: "pxw-progress-label" });

  constructor() {
    this.el = h(
      "div",
      { class: "pxw-progress", testid: "pxw-progress", hidden: true },
      h("div", { class: "pxw-progress-track", role: "progressbar" }, this.fill),
      this.label,
    );
  }

  update(done: number, total: number | null, message = ""): void {
    const track = this.fill.parentElement as HTMLElement;
    const indeterminate = total === null || total <= 0;
    this.el.classList.toggle("pxw-indeterminate", indeterminate);
    if (indeterminate) {
      this.fill.style.width = "";
      track.removeAttribute("aria-valuenow");
    } else {
      const pct = Math.max(0, Math.min(100, (done / total) * 100));
      this.fill.style.width = `${pct}%`;
      track.setAttribute("aria-valuemin", "0");
      track.setAttribute("aria-valuemax", String(total));
      track.setAttribute("aria-valuenow", String(done));
    }
    const count = indeterminate ? (done > 0 ? String(done) : "") : `${done}/${total}`;
    replace(this.label, [count, message].filter(Boolean).join(" · "));
    this.el.hidden = false;
  }

  hide(): void {
    this.el.hidden = true;
  }
}
