// An inline confirmation strip for destructive actions: the exact consequence in words, Confirm / Cancel.
// Cancel is focused first (Enter on a stray keypress must not destroy anything); Escape cancels.

import "./confirm.css";
import { button, h, replace } from "./dom";

export interface ConfirmOptions {
  /** What will happen, as plain text (e.g. "Drop 3 stages: a, b, c?"). */
  message: string;
  detail?: string;
  confirmLabel?: string;
  /** Runs on Confirm; the strip stays (buttons disabled) until it settles, then closes. */
  onConfirm: () => Promise<void>;
  onCancel?: () => void;
}

export class ConfirmStrip {
  readonly el: HTMLElement;
  private readonly message = h("strong", { class: "pxw-confirm-message", testid: "pxw-drop-plan" });
  private readonly detail = h("div", { class: "pxw-confirm-detail" });
  private readonly confirmBtn: HTMLButtonElement;
  private readonly cancelBtn: HTMLButtonElement;
  private current: ConfirmOptions | null = null;
  private busy = false;

  constructor() {
    this.confirmBtn = button("Confirm", () => void this.confirm(), { class: "pxw-btn pxw-btn-danger", testid: "pxw-drop-confirm" });
    this.cancelBtn = button("Cancel", () => this.cancel(), { class: "pxw-btn", testid: "pxw-drop-cancel" });
    this.el = h(
      "div",
      { class: "pxw-confirm", role: "alertdialog", "aria-label": "Confirm", testid: "pxw-drop-dialog", hidden: true },
      h("span", { class: "pxw-confirm-icon", "aria-hidden": "true" }, "!"),
      h("div", { class: "pxw-confirm-body" }, this.message, this.detail),
      h("div", { class: "pxw-confirm-actions" }, this.cancelBtn, this.confirmBtn),
    );
    this.el.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        this.cancel();
      }
    });
  }

  get open(): boolean {
    return this.current !== null;
  }

  ask(options: ConfirmOptions): void {
    if (this.current) this.current.onCancel?.();
    this.current = options;
    this.busy = false;
    replace(this.message, options.message);
    replace(this.detail, options.detail ?? "");
    this.detail.hidden = !options.detail;
    this.confirmBtn.textContent = options.confirmLabel ?? "Confirm";
    this.confirmBtn.disabled = this.cancelBtn.disabled = false;
    this.el.hidden = false;
    this.cancelBtn.focus({ preventScroll: true });
  }

  /** Close without running anything (e.g. the stage vanished in a refresh). */
  cancel(): void {
    if (this.busy || !this.current) return;
    const opts = this.current;
    this.close();
    opts.onCancel?.();
  }

  private close(): void {
    this.current = null;
    this.el.hidden = true;
  }

  private async confirm(): Promise<void> {
    if (this.busy || !this.current) return;
    const opts = this.current;
    this.busy = true;
    this.confirmBtn.disabled = this.cancelBtn.disabled = true;
    this.confirmBtn.textContent = "Working…";
    try {
      await opts.onConfirm();
    } finally {
      this.busy = false;
      if (this.current === opts) this.close();
    }
  }
}
