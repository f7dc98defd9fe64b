// Cell renderers by `kind`. Every value is untrusted: only textContent and attributes, never innerHTML.

import type { Cell, ColumnInfo, Json } from "./contract";
import { button, h, replace } from "./dom";
import { icon, type IconName } from "./icons";
import { thumbnail, type UrlPool } from "./media";

export const TEXT_LIMIT = 160;
const JSON_SUMMARY_LIMIT = 80;

export interface CellContext {
  buffers: DataView[];
  urls: UrlPool;
  column: ColumnInfo | undefined;
  /** Called when a thumbnail is clicked (larger view). */
  openImage?: (url: string, cell: Cell, caption: string) => void;
}

type Renderer = (cell: Cell, ctx: CellContext) => HTMLElement;

const RENDERERS: Record<Cell["kind"], Renderer> = {
  null: () => h("span", { class: "pxw-null" }, "null"),
  text: renderText,
  number: renderNumber,
  bool: (cell) => {
    const v = cell.value === true;
    return h("span", { class: `pxw-bool pxw-bool-${v}` }, v ? "✓ true" : "✗ false");
  },
  timestamp: (cell) => h("span", { class: "pxw-timestamp", title: String(cell.value ?? "") }, formatTimestamp(cell.value)),
  json: renderJson,
  array: renderArray,
  image: renderImage,
  video: renderVideo,
  document: (cell) => renderFile(cell, "document"),
  audio: (cell) => renderFile(cell, "audio"),
  error: renderError,
};

/** The content of one grid cell (the caller wraps it in a td carrying data-kind). */
export function renderCell(cell: Cell | null | undefined, ctx: CellContext): HTMLElement {
  if (!cell || typeof cell !== "object") return RENDERERS.null({ kind: "null" }, ctx);
  const render = RENDERERS[cell.kind];
  if (!render) return h("span", { class: "pxw-unknown", title: `unknown cell kind ${String(cell.kind)}` }, stringify(cell.value ?? null));
  return render(cell, ctx);
}

function stringify(value: Json | undefined): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function totalNote(cell: Cell): HTMLElement | null {
  if (!cell.truncated) return null;
  const n = typeof cell.length === "number" ? cell.length.toLocaleString("en-US") : "more";
  return h("span", { class: "pxw-dim pxw-total-note" }, ` (${n} chars total)`);
}

function renderText(cell: Cell): HTMLElement {
  if ((cell.value === undefined || cell.value === null) && cell.path) return renderFile(cell, "file");
  const full = stringify(cell.value);
  const wrap = h("span", { class: "pxw-text" });
  const body = h("span", { class: "pxw-text-body" });
  wrap.appendChild(body);
  if (full.length <= TEXT_LIMIT) {
    body.textContent = full;
    if (full === "") body.appendChild(h("span", { class: "pxw-dim" }, "(empty)"));
  } else {
    let open = false;
    const toggle = button("more", () => {
      open = !open;
      show();
    }, { class: "pxw-link", testid: "pxw-text-toggle" });
    const show = () => {
      body.textContent = open ? full : `${full.slice(0, TEXT_LIMIT)}…`;
      toggle.textContent = open ? "less" : "more";
      toggle.setAttribute("aria-expanded", String(open));
    };
    show();
    wrap.appendChild(toggle);
  }
  const note = totalNote(cell);
  if (note) wrap.appendChild(note);
  return wrap;
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6, useGrouping: false });

function renderNumber(cell: Cell): HTMLElement {
  const v = cell.value;
  const text = typeof v === "number" ? (Number.isInteger(v) ? String(v) : numberFormat.format(v)) : stringify(v);
  return h("span", { class: "pxw-number", title: stringify(v) }, text);
}

function formatTimestamp(value: Json | undefined): string {
  const s = stringify(value);
  // ISO 8601 → "2024-05-01 12:30:00.123+00:00": same information, easier to scan.
  return /^\d{4}-\d\d-\d\dT/.test(s) ? s.replace("T", " ") : s;
}

function renderJson(cell: Cell): HTMLElement {
  const value = cell.value ?? null;
  // A document too big to send whole arrives as the start of its JSON text, marked truncated.
  const rawText = cell.truncated && typeof value === "string";
  const oneLine = rawText ? value : (JSON.stringify(value) ?? "null");
  if (!rawText && (value === null || typeof value !== "object")) {
    return h("code", { class: "pxw-json-inline" }, oneLine);
  }
  const summary = oneLine.length > JSON_SUMMARY_LIMIT ? `${oneLine.slice(0, JSON_SUMMARY_LIMIT)}…` : oneLine;
  const pre = h("pre", { class: "pxw-json-pre" }, rawText ? `${value}…` : JSON.stringify(value, null, 2));
  const details = h("details", { class: "pxw-json" }, h("summary", { class: "pxw-json-summary", title: "expand" }, summary), pre);
  const note = totalNote(cell);
  if (note) details.appendChild(note);
  return details;
}

function renderArray(cell: Cell): HTMLElement {
  const shape = cell.shape ? `(${cell.shape.join(", ")}${cell.shape.length === 1 ? "," : ""})` : "";
  const summary = cell.summary ?? stringify(cell.value);
  // The kernel's summary usually names dtype and shape already; add them only where it does not.
  const meta = cell.dtype && summary.includes(cell.dtype) ? "" : [shape, cell.dtype ?? ""].filter(Boolean).join(" ");
  return h(
    "span",
    { class: "pxw-array" },
    h("code", { class: "pxw-array-summary", title: summary }, summary),
    meta ? h("span", { class: "pxw-meta" }, meta) : null,
  );
}

function mediaCaption(cell: Cell, ctx: CellContext): string {
  const name = cell.path ? basename(cell.path) : "";
  return [ctx.column?.name ?? "", name].filter(Boolean).join(": ");
}

function renderImage(cell: Cell, ctx: CellContext): HTMLElement {
  const url = ctx.urls.fromBuffer(ctx.buffers, cell.buffer, cell.mime);
  if (!url) return renderFile(cell, "image");
  const caption = mediaCaption(cell, ctx);
  const frame = thumbnail(url, cell, caption || "image");
  const b = h("button", { type: "button", class: "pxw-thumb", title: cell.width ? `${cell.width}×${cell.height} — click to enlarge` : "click to enlarge" }, frame);
  b.addEventListener("click", () => ctx.openImage?.(url, cell, caption));
  const n = cell.overlays?.reduce((acc, o) => acc + o.boxes.length, 0) ?? 0;
  if (n) b.dataset.boxes = String(n);
  return b;
}

function renderVideo(cell: Cell, ctx: CellContext): HTMLElement {
  const url = ctx.urls.fromBuffer(ctx.buffers, cell.buffer, cell.mime);
  if (!url) return renderFile(cell, "video");
  const caption = mediaCaption(cell, ctx);
  const frame = thumbnail(url, { ...cell, overlays: undefined }, caption || "video poster");
  frame.appendChild(h("span", { class: "pxw-play", "aria-hidden": "true" }, "▶"));
  const b = h("button", { type: "button", class: "pxw-thumb pxw-video", title: cell.path ?? "video" }, frame);
  b.addEventListener("click", () => ctx.openImage?.(url, { ...cell, overlays: undefined }, caption));
  return b;
}

function basename(path: string): string {
  const clean = path.split(/[?#]/)[0].replace(/[\\/]+$/, "");
  return clean.slice(Math.max(clean.lastIndexOf("/"), clean.lastIndexOf("\\")) + 1) || path;
}

function renderFile(cell: Cell, kind: IconName): HTMLElement {
  const path = cell.path ?? stringify(cell.value);
  return h(
    "span",
    { class: "pxw-file", title: path },
    icon(kind),
    h("span", { class: "pxw-file-name" }, path ? basename(path) : "(no file)"),
  );
}

function renderError(cell: Cell): HTMLElement {
  const badge = h("span", { class: "pxw-error-badge" }, cell.errortype || "Error");
  if (!cell.errormsg) return h("span", { class: "pxw-cell-error" }, badge);
  const msg = h("pre", { class: "pxw-error-msg" });
  const details = h("details", { class: "pxw-cell-error" }, h("summary", { title: "show the error message" }, badge), msg);
  replace(msg, cell.errormsg);
  return details;
}
