// The frame every panel shares: a header (title, badges, toolbar), an error area (message, hint, per-field details),
// a progress bar with a Cancel button, optional tabs, and `call()` — a request whose reply is dropped when a newer
// request with the same key was sent since ("the latest request wins"), whose progress shows in the bar, and whose
// failure shows in the error area.

import type { AnyModel } from "@anywidget/types";
import "./theme.css";
import "./panel.css";
import "./shell.css";
import { button, h, replace, type Child } from "./dom";
import { Rpc, RpcError, type ProgressHandler, type Reply } from "./rpc";
import { ErrorArea, ProgressBar } from "./status";
import { Tabs, type TabSpec } from "./tabs";

export interface ShellOptions {
  /** The panel's name in the header ("Consensus"). */
  title: string;
  /** Tabs under the header; without tabs the panel has one body (`shell.body`). */
  tabs?: TabSpec[];
  /** The data-testid of the panel's root element (default "pxw-panel"). */
  testid?: string;
  /** Extra classes of the root element (the panel's own CSS scope, e.g. "pxw-stage-builder"). */
  class?: string;
  /** Content above the tabs that every tab shares (StageBuilder's graph of stages). */
  above?: HTMLElement;
}

export interface CallOptions {
  /** Requests with the same key supersede each other: only the newest one's reply is delivered. */
  key?: string;
  /**
   * Show this request's progress in the bar, with a Cancel button (default true). A string shows the bar with that
   * message as soon as the request is sent, for work that takes a while before its first progress message.
   */
  progress?: boolean | string;
  /** Also called with every progress message of this request (e.g. a status line beside a form). */
  onProgress?: ProgressHandler;
  /** Reject with the error instead of showing it in the error area and resolving to null. */
  rethrow?: boolean;
  timeoutMs?: number;
}

/** Thrown (with rethrow) or shown when a newer request replaced this one. Never shown to the user. */
export class Superseded extends Error {}

/**
 * The frame of a panel. The progress bar belongs to one request at a time: the first that reports progress keeps it
 * (and its Cancel button) until it ends or a newer request with its key replaces it. An error stays until it is
 * dismissed, replaced, or a request sent after it succeeds (a reply to an older request does not hide it).
 */
export class PanelShell {
  readonly el: HTMLElement;
  readonly rpc: Rpc;
  readonly title: HTMLElement;
  /** Small facts next to the title (a table path, a version, counts). */
  readonly badges: HTMLElement;
  /** Buttons at the right of the header. */
  readonly toolbar: HTMLElement;
  /** Under the header: a description, a list of problems, a confirmation strip (empty by default). */
  readonly notes: HTMLElement;
  readonly errors = new ErrorArea();
  readonly progress = new ProgressBar();
  readonly tabs: Tabs | null;
  /** The panel's content when it has no tabs. */
  readonly body: HTMLElement;
  private readonly cancelBtn: HTMLButtonElement;
  private readonly latest = new Map<string, number>();
  /** The request that owns the progress bar, and whether it is still the newest of its key. */
  private running: { id: string; isLatest: () => boolean } | null = null;
  private seq = 0;
  /** The number of requests sent when the error on screen was shown. */
  private errorSeq = 0;

  constructor(model: AnyModel, opts: ShellOptions) {
    this.rpc = new Rpc(model);
    this.title = h("span", { class: "pxw-shell-title", testid: "pxw-shell-title" }, opts.title);
    this.badges = h("span", { class: "pxw-header-badges", testid: "pxw-shell-badges" });
    this.toolbar = h("span", { class: "pxw-shell-toolbar" });
    this.notes = h("div", { class: "pxw-shell-notes" });
    this.cancelBtn = button("Cancel", () => this.cancel(), {
      class: "pxw-btn pxw-btn-small",
      testid: "pxw-cancel",
      title: "Stop the running work at its next step (what is finished stays)",
    });
    this.cancelBtn.hidden = true;
    this.progress.el.append(this.cancelBtn);
    this.tabs = opts.tabs ? new Tabs(opts.tabs) : null;
    this.body = h("div", { class: "pxw-shell-body" });
    this.el = h(
      "div",
      { class: `pxw-root pxw-shell${opts.class ? ` ${opts.class}` : ""}`, testid: opts.testid ?? "pxw-panel" },
      h("div", { class: "pxw-shell-header" }, this.title, this.badges, h("span", { class: "pxw-spacer" }), this.toolbar),
      this.notes,
      this.errors.el,
      this.progress.el,
      opts.above ?? null,
      this.tabs ? this.tabs.el : this.body,
    );
    if (this.tabs && opts.tabs?.length) this.tabs.show(opts.tabs[0].name);
  }

  /** Replace the badges next to the title. */
  setBadges(...children: Child[]): void {
    replace(this.badges, ...children);
  }

  /**
   * Send a command; resolves to its reply, or to null when it failed (error shown) or was superseded. With
   * `rethrow` it always resolves to the reply, and rejects with the error (or `Superseded`) instead.
   */
  call<T>(kind: string, payload: object, opts: CallOptions & { rethrow: true }): Promise<Reply<T>>;
  call<T>(kind: string, payload?: object, opts?: CallOptions): Promise<Reply<T> | null>;
  async call<T>(kind: string, payload: object = {}, opts: CallOptions = {}): Promise<Reply<T> | null> {
    const seq = ++this.seq;
    if (opts.key) this.latest.set(opts.key, seq);
    const isLatest = () => !opts.key || this.latest.get(opts.key) === seq;
    let requestId = "";
    try {
      const reply = await this.rpc.request<T>(kind, payload, {
        timeoutMs: opts.timeoutMs,
        onStart: (id) => {
          requestId = id;
          if (typeof opts.progress === "string" && this.claimBar(id, isLatest)) this.progress.update(0, null, opts.progress);
        },
        onProgress: (done, total, message) => {
          if (!isLatest()) return;
          opts.onProgress?.(done, total, message);
          if (opts.progress !== false && this.claimBar(requestId, isLatest)) this.progress.update(done, total, message);
        },
      });
      if (!isLatest()) {
        if (opts.rethrow) throw new Superseded(kind);
        return null;
      }
      if (seq > this.errorSeq) this.errors.clear();
      return reply;
    } catch (err) {
      if (err instanceof Superseded) throw err;
      if (!isLatest()) {
        if (opts.rethrow) throw new Superseded(kind);
        return null;
      }
      if (opts.rethrow) throw err;
      this.showError(err);
      return null;
    } finally {
      if (this.running?.id === requestId) {
        this.running = null;
        this.cancelBtn.hidden = true;
        this.progress.hide();
      }
    }
  }

  /** Show an error (message, hint, per-field messages from `details.params`). */
  showError(err: unknown): void {
    this.errorSeq = this.seq;
    this.errors.show(err);
  }

  /** Per-field messages of a refused form, by parameter name (empty when the error has none). */
  static fieldErrors(err: unknown): Map<string, string> {
    const out = new Map<string, string>();
    if (err instanceof RpcError) for (const e of err.details?.params ?? []) out.set(e.param, e.message);
    return out;
  }

  /** Ask the kernel to stop the running request with progress (it stops at its next step). */
  cancel(): void {
    if (!this.running) return;
    this.rpc.cancel(this.running.id);
    replace(this.cancelBtn, "Cancelling…");
    this.cancelBtn.disabled = true;
    setTimeout(() => {
      replace(this.cancelBtn, "Cancel");
      this.cancelBtn.disabled = false;
    }, 1500);
  }

  /** Give the bar (and Cancel) to request `id` unless another request that is still current holds it. */
  private claimBar(id: string, isLatest: () => boolean): boolean {
    if (this.running?.id === id) return true;
    if (this.running?.isLatest()) return false;
    this.running = { id, isLatest };
    replace(this.cancelBtn, "Cancel");
    this.cancelBtn.disabled = false;
    this.cancelBtn.hidden = false;
    return true;
  }

  dispose(): void {
    this.rpc.dispose();
  }
}
