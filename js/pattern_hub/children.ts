// Child panels inside the hub: a pattern's own panel (StageBuilder, ConsensusGrid, …) rendered over a proxy model
// whose traits and messages travel through the hub's comm, tagged with the child's id (anywidget only: this works in
// JupyterLab and marimo alike). The child's ES module is imported from a Blob URL, as anywidget itself does; its CSS
// goes into a <style> inside the hub.
//
//   child model.send(content, _, buffers) → hub.send({type: "child-msg", child, content}, _, buffers)
//   child model.save_changes()            → hub.send({type: "child-set", child, state: {changed traits}})
//   hub msg {type: "child-msg", child}     → the child's "msg:custom" listeners (content, buffers)
//   hub msg {type: "child-state", child}   → the child's traits set, "change:<name>" fired

import type { AnyModel, AnyWidget, Experimental, Host, Initialize, Render } from "@anywidget/types";
import type { Json } from "../lib/contract";
import type { ChildMessage, ChildReply, ChildSet, ChildState } from "./contract";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (...args: any[]) => void;

/** Put the buffers of a message back where their paths say (top-level trait names). */
export function putBuffers(state: Record<string, unknown>, paths: string[][], buffers: DataView[]): Record<string, unknown> {
  const out = { ...state };
  paths.forEach((path, i) => {
    if (path.length === 1 && buffers[i] !== undefined) out[path[0]] = buffers[i];
  });
  return out;
}

/** The model a child panel sees: its own traits, kept here; messages and saves routed through the hub's model. */
export class ChildModel implements AnyModel {
  private readonly state: Record<string, unknown>;
  private readonly listeners = new Map<string, Set<Handler>>();
  private readonly dirty = new Set<string>();
  closed = false;
  readonly widget_manager = {
    get_model: <T>(): Promise<T> => Promise.reject(new Error("Widget references are not available inside the hub.")),
  } as AnyModel["widget_manager"];

  constructor(readonly id: string, state: Record<string, unknown>, private readonly hub: AnyModel) {
    this.state = { ...state };
  }

  get(key: string): any {
    return this.state[key];
  }

  set(key: string, value: unknown): void {
    if (this.state[key] === value) return;
    this.state[key] = value;
    this.dirty.add(key);
    this.emit(`change:${key}`, this, value);
    this.emit("change", this);
  }

  save_changes(): void {
    if (this.closed || !this.dirty.size) return;
    const state: Record<string, unknown> = {};
    for (const key of this.dirty) state[key] = this.state[key];
    this.dirty.clear();
    const msg: ChildSet = { type: "child-set", child: this.id, state: state as Record<string, Json> };
    this.hub.send(msg);
  }

  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void {
    if (this.closed) return;
    const msg: ChildMessage = { type: "child-msg", child: this.id, content: content as Json };
    this.hub.send(msg, callbacks, buffers);
  }

  on(eventName: string, callback: Handler): void {
    let set = this.listeners.get(eventName);
    if (!set) this.listeners.set(eventName, (set = new Set()));
    set.add(callback);
  }

  off(eventName?: string | null, callback?: Handler | null): void {
    if (!eventName) {
      this.listeners.clear();
      return;
    }
    if (!callback) this.listeners.delete(eventName);
    else this.listeners.get(eventName)?.delete(callback);
  }

  /** A message the child's Python side sent. */
  receiveMessage(content: unknown, buffers: DataView[]): void {
    this.emit("msg:custom", content, buffers);
  }

  /** Traits the child's Python side changed. */
  receiveState(state: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(state)) {
      this.state[key] = value;
      this.emit(`change:${key}`, this, value);
    }
    this.emit("change", this);
  }

  private emit(eventName: string, ...args: unknown[]): void {
    for (const cb of [...(this.listeners.get(eventName) ?? [])]) {
      try {
        cb(...args);
      } catch (err) {
        console.error(`pxwidgets hub: a ${eventName} listener of child ${this.id} failed`, err);
      }
    }
  }
}

type WidgetDef = { initialize?: Initialize; render?: Render };

const modules = new Map<string, Promise<WidgetDef>>();

/** Import a child's ES module from its text (once per distinct text), as anywidget does: from a Blob URL. */
async function loadWidget(esm: string): Promise<WidgetDef> {
  let found = modules.get(esm);
  if (!found) {
    found = (async () => {
      const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
      try {
        const mod = (await import(/* webpackIgnore: true */ /* @vite-ignore */ url)) as { default: AnyWidget };
        const def = typeof mod.default === "function" ? await mod.default() : mod.default;
        return def as WidgetDef;
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    modules.set(esm, found);
    found.catch(() => modules.delete(esm));
  }
  return found;
}

const noHost: Host = {
  getWidget: () => Promise.reject(new Error("Widget references are not available inside the hub.")),
  getModel: () => Promise.reject(new Error("Widget references are not available inside the hub.")),
};

const noExperimental: Experimental = {
  invoke: () => Promise.reject(new Error("anywidget commands are not available inside the hub.")),
};

/** One child panel rendered into `el`; `dispose()` runs its cleanup and stops its traffic. */
export class MountedChild {
  private cleanup: (() => unknown) | undefined;
  private readonly abort = new AbortController();

  private constructor(readonly model: ChildModel, readonly reply: ChildReply) {}

  static async mount(reply: ChildReply, hub: AnyModel, el: HTMLElement, styleHost: HTMLElement, buffers: DataView[]): Promise<MountedChild> {
    const model = new ChildModel(reply.child, putBuffers(reply.state, reply.buffer_paths, buffers), hub);
    const child = new MountedChild(model, reply);
    if (reply.css && !styleHost.querySelector(`style[data-pxw-child-css="${CSS.escape(reply.panel)}"]`)) {
      const style = document.createElement("style");
      style.dataset.pxwChildCss = reply.panel;
      style.textContent = reply.css;
      styleHost.appendChild(style);
    }
    const def = await loadWidget(reply.esm);
    const signal = child.abort.signal;
    const init = await def.initialize?.({ model, signal, experimental: noExperimental });
    const view = await def.render?.({ model, el, signal, host: noHost, experimental: noExperimental });
    const cleanups = [init, view].filter((f): f is () => unknown => typeof f === "function");
    child.cleanup = () => cleanups.forEach((f) => f());
    return child;
  }

  dispose(): void {
    this.abort.abort();
    try {
      this.cleanup?.();
    } finally {
      this.model.closed = true;
      this.model.off();
    }
  }
}

/** Route the hub's incoming messages to its children (returns whether the message was a child's). */
export function routeToChild(msg: unknown, buffers: DataView[], children: Map<string, MountedChild>): boolean {
  if (!msg || typeof msg !== "object") return false;
  const m = msg as ChildMessage | ChildState;
  if (m.type === "child-msg") {
    children.get(m.child)?.model.receiveMessage(m.content, buffers);
    return true;
  }
  if (m.type === "child-state") {
    children.get(m.child)?.model.receiveState(putBuffers(m.state, m.buffer_paths ?? [], buffers));
    return true;
  }
  return false;
}
