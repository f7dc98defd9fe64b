// A fake anywidget model for the TableBrowser bundle (model plumbing in fake_anywidget.js): `send` answers requests
// with canned replies as the kernel would (async, with binary buffers and progress).
//
// Test controls on window.__fake, besides sent / log / failNext / progress (see fake_anywidget.js):
//   hold            true: replies wait in `held` until release() is called
//   countLater      true: pages come back with total null (still counting); a `count` request gives it

import { createFakeModel, failure, response, takeFailure, unknownCommand } from "./fake_anywidget.js";

export const XSS = ['<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=2</script>"];
export const TOTAL = 137;
const ORIGINAL = { width: 640, height: 480 };

const COLUMNS = [
  col("id", "int", "Int", { sortable: true }),
  col("image", "image", "Image", {}),
  col("title", "string", "String", { sortable: true }),
  col("score", "float", "Float", { sortable: true }),
  col("ok", "bool", "Bool", { sortable: true }),
  col("created", "timestamp", "Timestamp", { sortable: true }),
  col("dets", "json", "Json[{'index': Int, 'pts': Int, 'time_base': String, 'keyframe': Bool, 'boxes': Json}]", { computed_with: "detect(image, threshold=0.5)", is_computed: true }),
  col("caption", "string", "String", { computed_with: "describe(image)", is_computed: true, sortable: true }),
  col("vec", "array", "Array[(4,), Float]", { computed_with: "embed(title)", is_computed: true }),
  col("clip", "video", "Video", {}),
  col("doc", "document", "Document", {}),
  col("voice", "audio", "Audio", {}),
  col("tenfold", "int", "Int", { computed_with: "tenfold(id)", is_computed: true, sortable: true, problem: "UDF __main__.tenfold cannot be loaded" }),
  col("note", "string", "String", { sortable: true }),
];

function col(name, type, type_text, extra) {
  return { name, type, type_text, computed_with: null, is_stored: true, is_computed: false, sortable: false, problem: null, ...extra };
}

const LONG = "A long caption that goes on. ".repeat(12) + "The end of the visible part. " + "x".repeat(60);

// ---- thumbnails drawn on a canvas (the "original" images are 640×480; thumbnails 160×120) ------------------

export const images = [];

export async function makeImages() {
  const scenes = [
    ["#87b5e5", "#6aa04a", "#e0a040"],
    ["#f2c28b", "#8d6e63", "#5c6bc0"],
    ["#b39ddb", "#4db6ac", "#ef5350"],
  ];
  for (const [sky, ground, thing] of scenes) {
    const c = new OffscreenCanvas(160, 120);
    const g = c.getContext("2d");
    const grad = g.createLinearGradient(0, 0, 0, 120);
    grad.addColorStop(0, sky);
    grad.addColorStop(1, "#ffffff");
    g.fillStyle = grad;
    g.fillRect(0, 0, 160, 120);
    g.fillStyle = ground;
    g.fillRect(0, 80, 160, 40);
    g.fillStyle = thing; // a "cat" at original (80,160)-(280,400) → thumbnail (20,40)-(70,100)
    g.beginPath();
    g.ellipse(45, 72, 24, 28, 0, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#37474f"; // a "dog" at original (360,200)-(600,420) → thumbnail (90,50)-(150,105)
    g.fillRect(92, 55, 56, 48);
    const blob = await c.convertToBlob({ type: "image/png" });
    images.push(new Uint8Array(await blob.arrayBuffer()));
  }
}

// ---- rows ----------------------------------------------------------------------------------------------------

function cellsFor(i, buffers, errorsOnly) {
  const img = () => {
    buffers.push(images[i % images.length]);
    return buffers.length - 1;
  };
  const title = i === 0 ? XSS[0] : i === 1 ? XSS[1] : `photo ${i}`;
  const failing = errorsOnly || i % 4 === 1;
  return [
    { kind: "number", value: i },
    {
      kind: "image",
      buffer: img(),
      mime: "image/png",
      ...ORIGINAL,
      overlays: [{ column: "dets", boxes: [[80, 160, 280, 400], [360, 200, 600, 420]], labels: ["cat", "dog"], scores: [0.91, 0.78] }],
    },
    { kind: "text", value: title },
    i % 5 === 3 ? { kind: "null" } : { kind: "number", value: 0.5 + i / 1000 + 0.0001234 },
    { kind: "bool", value: i % 2 === 0 },
    { kind: "timestamp", value: `2024-05-${String((i % 28) + 1).padStart(2, "0")}T12:30:00+00:00` },
    { kind: "json", value: { boxes: 2, labels: ["cat", "dog"], html: XSS[0], meta: { source: "fake", i } } },
    i === 2 ? { kind: "text", value: LONG.slice(0, 400), truncated: true, length: 5234 } : { kind: "text", value: `${LONG.slice(0, 200)}` },
    { kind: "array", shape: [4], dtype: "float32", summary: "float32 [4]  min -0.5  mean 0.1  max 0.9" },
    { kind: "video", buffer: img(), mime: "image/png", ...ORIGINAL, path: `/media/clips/clip_${i}.mp4` },
    { kind: "document", path: `/media/docs/report_${i}.pdf` },
    { kind: "audio", path: `/media/audio/voice_${i}.wav` },
    failing
      ? { kind: "error", errortype: "ValueError", errormsg: `tenfold failed on row ${i}: ${XSS[1]}\nTraceback is not shown.` }
      : { kind: "number", value: i * 10 },
    { kind: "text", value: i % 3 === 0 ? XSS[1] : `note ${i}` },
  ];
}

function matching(req) {
  return req.errors_only ? 34 : req.filters.length ? 12 : TOTAL;
}

export function pageReply(payload, countLater = false) {
  const req = { offset: 0, limit: 25, order_by: null, filters: [], errors_only: false, ...payload };
  const total = matching(req);
  const buffers = [];
  const rows = [];
  const end = Math.min(req.offset + req.limit, total);
  for (let i = req.offset; i < end; i++) {
    const n = req.order_by && !req.order_by.asc ? total - 1 - i : i;
    rows.push(cellsFor(req.errors_only ? n * 4 + 1 : n, buffers, req.errors_only));
  }
  const order = req.order_by ? `.order_by(t.${req.order_by.column}, asc=${req.order_by.asc ? "True" : "False"})` : "";
  const where = req.filters.map((f) => `.where(t.${f.column} ${f.op} ${JSON.stringify(f.value ?? null)})`).join("");
  const code = `import pixeltable as pxt\n\nt = pxt.get_table('demo/photos')\nt${where}${order}.limit(${req.limit}, offset=${req.offset}).collect()`;
  // like the kernel: the keys of the first and last row, to ask the next (previous) page after (before) them
  const cursor = rows.length ? { first: `key:${req.offset}`, last: `key:${end - 1}` } : null;
  const pandas_code = `df = t${where}${order}.collect().to_pandas()\n`;
  return {
    payload: { columns: COLUMNS, rows, offset: req.offset, limit: req.limit, total: countLater ? null : total, elapsed_ms: 12.3, code, cursor, fetched_by: req.after || req.before ? "key" : "offset", pandas_code },
    buffers: buffers.map((b) => new DataView(b.buffer.slice(0))),
  };
}

export const EXPORT_CHUNK = 50;

/** A chunk of the CSV export of `req`'s rows: `id,title` lines, the header with the first chunk. */
export function exportReply(req) {
  const total = matching({ filters: [], errors_only: false, ...req });
  const start = req.after ? Number(req.after.split(":")[1]) + 1 : 0;
  const end = Math.min(start + EXPORT_CHUNK, total);
  const desc = req.order_by && !req.order_by.asc;
  let text = req.after ? "" : "id,title\n";
  for (let i = start; i < end; i++) text += `${desc ? total - 1 - i : i},"photo ${i}"\n`;
  const payload = {
    rows: end - start,
    done: (req.done ?? 0) + end - start,
    total,
    next: end < total ? `key:${end - 1}` : null,
    truncated: false,
    max_rows: 1000000,
    filename: "demo_photos.csv",
    columns: ["id", "title"],
    problems: [],
    pandas_code: "import pixeltable as pxt\n\nt = pxt.get_table('demo/photos')\ndf = t.collect().to_pandas()\n",
  };
  return { payload, buffers: [new DataView(new TextEncoder().encode(text).buffer)] };
}

const INFO = {
  path: "demo/photos",
  kind: "table",
  version: 7,
  comment: "Holiday photos with detections <b>not bold</b>",
  total_rows: TOTAL,
  columns: COLUMNS,
  error_counts: [{ column: "tenfold", count: 34 }],
  problems: ["tenfold: UDF __main__.tenfold cannot be loaded"],
};

const REPLIES = {
  count: (p) => ({ total: matching({ filters: [], errors_only: false, ...p }) }),
  // like the kernel: the info of the table the `path` trait names now
  info: (_p, traits) => (traits.path === INFO.path ? INFO : { ...INFO, path: traits.path }),
  catalog: () => ({
    tables: [
      { path: "demo/photos", kind: "table" },
      { path: "demo/photos_small", kind: "view" },
      { path: "demo/frames", kind: "view" },
      { path: "demo/photos_v1", kind: "snapshot" },
    ],
  }),
  open: (p) => ({ ...INFO, path: p.path, kind: "view", version: 2, total_rows: 12, comment: null, problems: [], error_counts: [] }),
  lineage: () => ({
    nodes: [
      { path: "demo/photos", kind: "table", version: 7, row_count: TOTAL, iterator: null, filter: null, is_current: true, error: null },
      { path: "demo/photos_small", kind: "view", version: 2, row_count: 12, iterator: null, filter: "id < 12", is_current: false, error: null },
      { path: "demo/frames", kind: "view", version: 3, row_count: 4210, iterator: "frame_iterator(clip, fps=2.0)", filter: null, is_current: false, error: null },
      { path: "demo/frames_dets", kind: "view", version: 1, row_count: null, iterator: null, filter: "label == '<script>'", is_current: false, error: "UDF <b>gone</b>" },
    ],
    edges: [
      { source: "demo/photos", target: "demo/photos_small", label: "where" },
      { source: "demo/photos", target: "demo/frames", label: "frame_iterator(clip, fps=2.0)" },
      { source: "demo/frames", target: "demo/frames_dets", label: "where" },
    ],
  }),
  history: () => ({
    versions: [7, 6, 5, 4, 3, 2, 1, 0].map((v) => ({
      version: v,
      created_at: `2024-05-0${(v % 9) + 1}T10:0${v}:00.123456`,
      user: v % 2 ? "ana" : null,
      change_type: v === 0 ? "create" : v % 3 === 0 ? "schema" : "data",
      inserts: v % 3 === 0 ? 0 : 20 - v,
      updates: v === 4 ? 5 : 0,
      deletes: v === 5 ? 2 : 0,
      errors: v === 6 ? 34 : 0,
      schema_change: v % 3 === 0 && v ? `added column tenfold_${v}` : null,
    })),
  }),
};

// ---- the model -----------------------------------------------------------------------------------------------

export function createModel(initial) {
  const { model, fake, emit } = createFakeModel({
    traits: initial,
    controls: { hold: false, held: [], release, countLater: false },
    answer,
  });

  function deliver(fn) {
    if (fake.hold) fake.held.push(fn);
    else setTimeout(fn, 5);
  }
  function release() {
    const fns = fake.held.splice(0);
    fake.hold = false;
    for (const fn of fns) fn();
  }
  function answer(msg) {
    const { id, kind, payload } = msg;
    for (const [done, total, message] of fake.progress[kind] ?? []) {
      setTimeout(() => emit("msg:custom", { type: "progress", id, done, total, message }, []), 1);
    }
    const error = takeFailure(fake, kind);
    if (error) {
      deliver(() => emit("msg:custom", failure(id, error), []));
      return;
    }
    if (kind === "export_csv") {
      const { payload: reply, buffers } = exportReply(payload);
      deliver(() => emit("msg:custom", response(id, reply), buffers));
      return;
    }
    if (kind === "page") {
      const { payload: reply, buffers } = pageReply(payload, fake.countLater);
      deliver(() => emit("msg:custom", response(id, reply), buffers));
      return;
    }
    const make = REPLIES[kind];
    const reply = make ? response(id, make(payload, { path: model.get("path") })) : unknownCommand(id, kind);
    deliver(() => {
      if (kind === "open" && reply.ok) model.set("path", payload.path); // the kernel updates the trait first
      emit("msg:custom", reply, []);
    });
  }

  return model;
}
