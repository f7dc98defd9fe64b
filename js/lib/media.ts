// Media thumbnails: object URLs made from a reply's binary buffers (and revoked again), detection overlays
// scaled from original image pixels to the displayed thumbnail, and a larger view on click.

import type { Cell, Overlay } from "./contract";
import { h } from "./dom";

/** Owns the object URLs of one rendered page; `revokeAll()` when that page is replaced or the view closes. */
export class UrlPool {
  private urls: string[] = [];

  /** An object URL for buffer `index` of a reply, or null when there is no such buffer. */
  fromBuffer(buffers: DataView[], index: number | undefined, mime = "image/jpeg"): string | null {
    if (index === undefined || index < 0 || index >= buffers.length) return null;
    const view = buffers[index];
    const bytes = new Uint8Array(view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    this.urls.push(url);
    return url;
  }

  get size(): number {
    return this.urls.length;
  }

  revokeAll(): void {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
  }

  /** Hand the URLs over to a new owner (used to revoke the previous page only after the new one is on screen). */
  take(): UrlPool {
    const other = new UrlPool();
    other.urls = this.urls;
    this.urls = [];
    return other;
  }
}

const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#808000"];

function colorFor(label: string): string {
  let hash = 0;
  for (let i = 0; i < label.length; i++) hash = (hash * 31 + label.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length];
}

/** Boxes are [x1, y1, x2, y2] in original image pixels; positioned in % so they follow any displayed size. */
export function overlayLayer(overlays: Overlay[], width: number, height: number): HTMLElement {
  const layer = h("div", { class: "pxw-overlay-layer", "aria-hidden": "true" });
  if (!(width > 0 && height > 0)) return layer;
  for (const ov of overlays) {
    ov.boxes.forEach((box, i) => {
      if (!Array.isArray(box) || box.length < 4) return;
      const [x1, y1, x2, y2] = box.map(Number);
      const label = ov.labels?.[i];
      const score = ov.scores?.[i];
      const labelText = label === null || label === undefined ? "" : String(label);
      const scoreText = typeof score === "number" ? score.toFixed(2) : "";
      const color = colorFor(labelText || ov.column);
      const el = h("div", { class: "pxw-box", testid: "pxw-overlay-box", title: `${ov.column}: ${labelText} ${scoreText}`.trim() });
      el.style.left = `${(x1 / width) * 100}%`;
      el.style.top = `${(y1 / height) * 100}%`;
      el.style.width = `${(Math.max(0, x2 - x1) / width) * 100}%`;
      el.style.height = `${(Math.max(0, y2 - y1) / height) * 100}%`;
      el.style.borderColor = color;
      if (labelText || scoreText) {
        const tag = h("span", { class: "pxw-box-label" }, [labelText, scoreText].filter(Boolean).join(" "));
        tag.style.background = color;
        el.appendChild(tag);
      }
      layer.appendChild(el);
    });
  }
  return layer;
}

/** A thumbnail (img + overlays) in a frame that shrinks to the image, so % boxes line up with it. */
export function thumbnail(url: string, cell: Cell, alt: string): HTMLElement {
  const img = h("img", { class: "pxw-thumb-img", src: url, alt, draggable: "false" });
  const frame = h("span", { class: "pxw-thumb-frame" }, img);
  if (cell.overlays?.length && cell.width && cell.height) {
    frame.appendChild(overlayLayer(cell.overlays, cell.width, cell.height));
  }
  return frame;
}

/** A larger view over the panel (Escape, click outside or × closes it). Uses the thumbnail's own URL. */
export function openLightbox(host: HTMLElement, url: string, cell: Cell, caption: string): void {
  host.querySelector(":scope > .pxw-lightbox")?.remove();
  const frame = thumbnail(url, cell, caption);
  frame.classList.add("pxw-lightbox-frame");
  const aspect = cell.width && cell.height ? cell.width / cell.height : 4 / 3;
  frame.style.setProperty("--pxw-aspect", String(aspect));
  const close = () => {
    box.remove();
    document.removeEventListener("keydown", onKey);
  };
  const onKey = (ev: KeyboardEvent) => {
    if (!box.isConnected) document.removeEventListener("keydown", onKey);
    else if (ev.key === "Escape") close();
  };
  const closeBtn = h("button", { type: "button", class: "pxw-btn pxw-btn-icon pxw-lightbox-close", "aria-label": "Close", testid: "pxw-lightbox-close" }, "×");
  const size = cell.width && cell.height ? `${cell.width}×${cell.height}` : "";
  const box = h(
    "div",
    { class: "pxw-lightbox", role: "dialog", "aria-label": caption, testid: "pxw-lightbox" },
    h("div", { class: "pxw-lightbox-inner" }, closeBtn, frame, h("div", { class: "pxw-lightbox-caption" }, [caption, size].filter(Boolean).join(" · "))),
  );
  box.addEventListener("click", (ev) => {
    if (ev.target === box || ev.target === closeBtn) close();
  });
  document.addEventListener("keydown", onKey);
  host.appendChild(box);
  closeBtn.focus();
}

/** Remove an open larger view (its URL is about to be revoked). */
export function closeLightbox(host: HTMLElement): void {
  host.querySelector(":scope > .pxw-lightbox")?.remove();
}
