// A code box with a Copy button: the plain Pixeltable code of what the panel shows.

import { button, h } from "./dom";

export class CodeBox {
  readonly el: HTMLElement;
  private readonly pre: HTMLElement;
  private readonly copyBtn: HTMLButtonElement;
  private resetTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly caption = h("span", { class: "pxw-dim" });

  /** `testid` names the code (`pxw-code`) and its Copy button (`pxw-code-copy`). */
  constructor(caption: string, testid = "pxw-code") {
    this.pre = h("pre", { class: "pxw-code", testid });
    this.copyBtn = button("Copy", () => void this.copy(), { class: "pxw-btn pxw-code-copy", testid: `${testid}-copy`, title: "Copy to the clipboard" });
    this.el = h("div", { class: "pxw-codebox" }, h("div", { class: "pxw-codebox-head" }, this.caption, h("span", { class: "pxw-spacer" }), this.copyBtn), this.pre);
    this.set("");
    this.setCaption(caption);
  }

  setCaption(caption: string): void {
    this.caption.textContent = caption;
  }

  set(code: string): void {
    this.pre.textContent = code || "# no query yet";
    this.copyBtn.disabled = !code;
  }

  get code(): string {
    return this.copyBtn.disabled ? "" : (this.pre.textContent ?? "");
  }

  dispose(): void {
    clearTimeout(this.resetTimer);
  }

  private async copy(): Promise<void> {
    let ok = false;
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(this.code);
        ok = true;
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      // No clipboard API (insecure context, permissions): select the code so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(this.pre);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
    }
    this.copyBtn.textContent = ok ? "Copied ✓" : "Selected — press Ctrl+C";
    clearTimeout(this.resetTimer);
    this.resetTimer = setTimeout(() => (this.copyBtn.textContent = "Copy"), 1800);
  }
}
