// Request/response client over an anywidget model: every request gets an id, a timeout and exactly one
// answer (the reply's payload, or a rejected promise carrying the kernel's {message, code, hint}).
//
// Transport: a reply's thumbnails travel as the message's binary buffers. Front ends hand them over differently
// (JupyterLab and marimo ≥ 0.9: DataViews — marimo carries them as base64 on its wire and decodes them; others:
// ArrayBuffers, typed arrays or base64 strings): `toDataView` reads them all. Some drop them altogether (Colab's
// widget manager): when a reply's payload refers to more buffers (its `buffer` fields) than arrived, the client asks
// again once with `inline: true`, the kernel then puts them into the message as base64 (`inline_buffers`), and
// every later request asks for that at once. Commands that return buffers are reads, so asking twice is harmless.

import type { AnyModel } from "@anywidget/types";
import type { ErrorInfo, Incoming } from "./contract";

/** A binary buffer as a front end delivers it, as a DataView (null when it is none of the known shapes). */
export function toDataView(buffer: unknown): DataView | null {
  if (buffer instanceof DataView) return buffer;
  if (buffer instanceof ArrayBuffer) return new DataView(buffer);
  if (ArrayBuffer.isView(buffer)) return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (typeof buffer === "string") return fromBase64(buffer);
  return null;
}

/** Decode base64 into a DataView (null when it is not base64). */
export function fromBase64(text: string): DataView | null {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new DataView(bytes.buffer);
  } catch {
    return null;
  }
}

/** How many buffers a payload refers to: one more than the largest `buffer` index anywhere in it. */
export function buffersReferred(payload: unknown): number {
  let n = 0;
  const stack: unknown[] = [payload];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) for (const v of value) stack.push(v);
    else if (value && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key === "buffer" && typeof v === "number" && Number.isInteger(v) && v >= 0) n = Math.max(n, v + 1);
        else if (v && typeof v === "object") stack.push(v);
      }
    }
  }
  return n;
}

function readBuffers(buffers: unknown): DataView[] {
  if (!Array.isArray(buffers)) return [];
  const out: DataView[] = [];
  for (const b of buffers) {
    const view = toDataView(b);
    if (view) out.push(view);
  }
  return out;
}

export class RpcError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly details?: ErrorInfo["details"];
  constructor(info: ErrorInfo) {
    super(info.message);
    this.code = info.code;
    this.hint = info.hint;
    this.details = info.details;
  }
}

export interface Reply<T> {
  payload: T;
  buffers: DataView[];
}

export type ProgressHandler = (done: number, total: number | null, message: string) => void;

interface Pending {
  kind: string;
  payload: object;
  /** Asked again with inline buffers (at most once). */
  resent: boolean;
  resolve: (reply: Reply<unknown>) => void;
  reject: (error: RpcError) => void;
  onProgress?: ProgressHandler;
  timer: ReturnType<typeof setTimeout>;
  rearm: () => ReturnType<typeof setTimeout>;
}

export interface RequestOptions {
  timeoutMs?: number;
  onProgress?: ProgressHandler;
  /** Called with the request's id as it is sent (to cancel it later). */
  onStart?: (id: string) => void;
}

let counter = 0;

export class Rpc {
  private pending = new Map<string, Pending>();
  private readonly listener: (msg: unknown, buffers: unknown) => void;
  /** This front end dropped a reply's binary buffers: ask for them inline (base64 in the message) from now on. */
  private inline = false;
  private ready: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly model: AnyModel) {
    this.listener = (msg, buffers) => this.receive(msg as Incoming, readBuffers(buffers));
    model.on("msg:custom", this.listener);
  }

  /** Hold every request until `ready` resolves (the panel's first visibility, see lazy.ts). */
  holdUntil(ready: Promise<void>): void {
    this.ready = ready;
  }

  /** Whether replies' buffers are asked for inline because this front end dropped them. */
  get inlineBuffers(): boolean {
    return this.inline;
  }

  async request<T>(kind: string, payload: object = {}, options: RequestOptions = {}): Promise<Reply<T>> {
    await this.ready;
    if (this.disposed) throw new RpcError({ message: "The panel was closed.", code: "closed" });
    const id = `r${Date.now().toString(36)}-${(counter++).toString(36)}`;
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<Reply<T>>((resolve, reject) => {
      // The timeout counts from the last sign of life: progress re-arms it, so long work never times out.
      const rearm = () => setTimeout(() => {
        this.pending.delete(id);
        reject(
          new RpcError({
            message: `No answer from the kernel after ${Math.round(timeoutMs / 1000)} s.`,
            code: "timeout",
            hint: "The kernel may be busy (a running cell) or waiting for a table locked by another process.",
          }),
        );
      }, timeoutMs);
      this.pending.set(id, {
        kind,
        payload,
        resent: false,
        resolve: resolve as (r: Reply<unknown>) => void,
        reject,
        onProgress: options.onProgress,
        timer: rearm(),
        rearm,
      });
      options.onStart?.(id);
      this.send(id, kind, payload);
    });
  }

  private send(id: string, kind: string, payload: object): void {
    this.model.send(this.inline ? { type: "request", id, kind, payload, inline: true } : { type: "request", id, kind, payload });
  }

  /** Ask the kernel to stop a running request (it stops at its next progress step). */
  cancel(id: string): void {
    this.model.send({ type: "cancel", id });
  }

  dispose(): void {
    this.disposed = true;
    this.model.off("msg:custom", this.listener);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private receive(msg: Incoming, buffers: DataView[]): void {
    if (!msg || typeof msg !== "object" || !("id" in msg)) return;
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    if (msg.type === "progress") {
      clearTimeout(pending.timer);
      pending.timer = pending.rearm();
      pending.onProgress?.(msg.done, msg.total, msg.message);
      return;
    }
    clearTimeout(pending.timer);
    if (msg.ok) {
      const inline = msg.inline_buffers ? readBuffers(msg.inline_buffers) : null;
      if (!inline && !pending.resent && buffersReferred(msg.payload) > buffers.length) {
        // The buffers were lost on the way (the front end does not carry them): ask again, inline.
        this.inline = true;
        pending.resent = true;
        pending.timer = pending.rearm();
        this.send(msg.id, pending.kind, pending.payload);
        return;
      }
      this.pending.delete(msg.id);
      pending.resolve({ payload: msg.payload, buffers: inline ?? buffers });
    } else {
      this.pending.delete(msg.id);
      pending.reject(new RpcError(msg.error));
    }
  }
}
