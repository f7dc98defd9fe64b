// Request/response client over an anywidget model: every request gets an id, a timeout and exactly one
// answer (the reply's payload, or a rejected promise carrying the kernel's {message, code, hint}).

import type { AnyModel } from "@anywidget/types";
import type { ErrorInfo, Incoming } from "./contract";

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
  private readonly listener: (msg: unknown, buffers: DataView[]) => void;

  constructor(private readonly model: AnyModel) {
    this.listener = (msg, buffers) => this.receive(msg as Incoming, buffers ?? []);
    model.on("msg:custom", this.listener);
  }

  request<T>(kind: string, payload: object = {}, options: RequestOptions = {}): Promise<Reply<T>> {
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
        resolve: resolve as (r: Reply<unknown>) => void,
        reject,
        onProgress: options.onProgress,
        timer: rearm(),
        rearm,
      });
      options.onStart?.(id);
      this.model.send({ type: "request", id, kind, payload });
    });
  }

  /** Ask the kernel to stop a running request (it stops at its next progress step). */
  cancel(id: string): void {
    this.model.send({ type: "cancel", id });
  }

  dispose(): void {
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
    this.pending.delete(msg.id);
    if (msg.ok) pending.resolve({ payload: msg.payload, buffers });
    else pending.reject(new RpcError(msg.error));
  }
}
