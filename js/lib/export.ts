// "Download CSV" of a grid's whole filtered, sorted result, and the to_pandas() code of the same rows: one piece every
// grid panel adds in a few lines (TableBrowser, StageBuilder, ConsensusGrid). Talks to the 'export_csv' command that
// pxwidgets/panels/exports.py declares for each panel.

import "./export.css";
import { CodeBox } from "./code";
import type { ExportChunkReply } from "./contract";
import { button, fmtCount, h } from "./dom";
import type { Reply } from "./rpc";
import type { PanelShell } from "./shell";

/** The fields of a grid's query that are about its window on screen, not about which rows: never exported. */
const WINDOW = ["offset", "limit", "after", "before", "count"] as const;

export interface CsvExportOptions {
  /** The panel's shell, as a getter (the export is usually built before the shell that shows it): its `call` sends
   * the chunks with progress, its Cancel stops them, its error area shows failures. */
  shell: () => Pick<PanelShell, "call" | "cancel" | "showError">;
  /** The grid's current query (filters, sort, the panel's own fields such as the stage); its window is dropped. */
  query: () => object;
  /** Prefix of the data-testids (default "pxw"). */
  idPrefix?: string;
  /** Hand the file over (default: download it). */
  save?: (blob: Blob, filename: string) => void;
}

/** What an export ended with. */
export interface CsvExportResult {
  rows: number;
  truncated: boolean;
  cancelled: boolean;
  filename: string;
}

/** Save a blob as a file through a download link (works in JupyterLab, marimo and plain pages). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The code of a page followed by the code of every matching row as a DataFrame (what "Download CSV" saves). */
export function withPandasCode(code: string, pandasCode: string | undefined): string {
  if (!code || !pandasCode) return code;
  return `${code}\n# every matching row, in this order, as a DataFrame (what "Download CSV" saves)\n${pandasCode}`;
}

/**
 * "Download CSV" of a grid's whole filtered, sorted result: the kernel sends it a chunk at a time (each after the
 * previous chunk's cursor, so its memory stays flat), the chunks are assembled into a Blob here and downloaded. While
 * it runs the button cancels it (as does the shell's Cancel); a status line says how far it got. Beside it, "to_pandas()"
 * opens the plain Pixeltable code of the same rows (`setCode`, from the grid's last page) below.
 */
export class CsvExport {
  readonly el: HTMLElement;
  readonly button: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly code: CodeBox;
  private readonly codeBox: HTMLElement;
  private readonly codeToggle: HTMLButtonElement;
  private running = false;
  private cancelled = false;

  constructor(private readonly opts: CsvExportOptions) {
    const prefix = opts.idPrefix ?? "pxw";
    this.button = button("Download CSV", () => (this.running ? this.cancel() : void this.run()), {
      class: "pxw-btn pxw-btn-small",
      testid: `${prefix}-export-csv`,
      title: "Download every row that matches the filters, in the grid's order, as CSV (up to 1,000,000 rows)",
    });
    this.status = h("span", { class: "pxw-dim pxw-export-status", testid: `${prefix}-export-status`, "aria-live": "polite" });
    this.code = new CodeBox("Pixeltable code: this page, then every matching row as a DataFrame", `${prefix}-export-code`);
    this.codeBox = h("div", { class: "pxw-export-code", hidden: true }, this.code.el);
    this.codeToggle = button("to_pandas()", () => this.showCode(this.codeBox.hidden), {
      class: "pxw-btn pxw-btn-small pxw-export-toggle",
      testid: `${prefix}-export-pandas`,
      title: "The plain Pixeltable code of the same rows, as a pandas DataFrame",
      "aria-expanded": "false",
    });
    this.codeToggle.hidden = true;
    this.el = h("div", { class: "pxw-export", testid: `${prefix}-export` }, this.button, this.codeToggle, this.status, this.codeBox);
  }

  /** Show or hide the to_pandas() code. */
  showCode(on: boolean): void {
    this.codeBox.hidden = !on;
    this.codeToggle.setAttribute("aria-expanded", String(on));
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The code of the grid's rows as a DataFrame (hidden while there is none). */
  setCode(code: string | undefined): void {
    this.code.set(code ?? "");
    this.codeToggle.hidden = !code;
    if (!code) this.showCode(false);
  }

  /** Stop asking for chunks and stop the one that is running. */
  cancel(): void {
    if (!this.running) return;
    this.cancelled = true;
    this.opts.shell().cancel();
  }

  dispose(): void {
    this.cancel();
    this.code.dispose();
  }

  private fetchChunk(req: object): Promise<Reply<ExportChunkReply>> {
    return this.opts.shell().call<ExportChunkReply>("export_csv", req, { key: "export", rethrow: true, progress: "Exporting CSV…", timeoutMs: 300_000 });
  }

  /** Export the current query; resolves when the file was handed over, or the export stopped (null on failure). */
  async run(): Promise<CsvExportResult | null> {
    if (this.running) return null;
    this.cancelled = false;
    this.running = true;
    this.button.textContent = "Cancel export";
    const query: Record<string, unknown> = { ...this.opts.query() };
    for (const key of WINDOW) delete query[key];
    const parts: ArrayBuffer[] = [];
    let after: string | null = null;
    let done = 0;
    let reply: ExportChunkReply | null = null;
    try {
      do {
        this.status.textContent = `Exporting… ${fmtCount(done)}${reply?.total != null ? ` of ${fmtCount(Math.min(reply.total, reply.max_rows))}` : ""} rows`;
        const { payload, buffers } = await this.fetchChunk({ ...query, after, done });
        reply = payload;
        const chunk = buffers[0];
        if (chunk) parts.push(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer);
        after = payload.next;
        done = payload.done;
      } while (after !== null && !this.cancelled);
      const filename = reply.filename;
      if (this.cancelled) {
        this.status.textContent = `Cancelled after ${fmtCount(done)} rows; nothing was saved.`;
        return { rows: done, truncated: false, cancelled: true, filename };
      }
      (this.opts.save ?? downloadBlob)(new Blob(parts, { type: "text/csv;charset=utf-8" }), filename);
      const limit = reply.truncated ? ` — stopped at the limit of ${fmtCount(reply.max_rows)}; ${fmtCount(reply.total ?? 0)} rows match` : "";
      const left = reply.problems.length ? ` Left out: ${reply.problems.join("; ")}.` : "";
      this.status.textContent = `Downloaded ${fmtCount(done)} rows as ${filename}${limit}.${left}`;
      return { rows: done, truncated: reply.truncated, cancelled: false, filename };
    } catch (err) {
      if ((err as { code?: string }).code === "cancelled" || this.cancelled) {
        this.status.textContent = `Cancelled after ${fmtCount(done)} rows; nothing was saved.`;
        return { rows: done, truncated: false, cancelled: true, filename: reply?.filename ?? "" };
      }
      this.status.textContent = "Export failed.";
      this.opts.shell().showError(err);
      return null;
    } finally {
      this.running = false;
      this.button.textContent = "Download CSV";
    }
  }
}
