// A fake anywidget model for the StageBuilder bundle: traits (source / selected / head / last_error) and `send`,
// answering graph / rows / transforms / preview / add / drop_plan / drop / code as the kernel would (async, with
// binary thumbnails and progress). It keeps a small mutable pipeline, so add and drop change what the next graph shows.
//
// The model plumbing is fake_anywidget.js's. Test controls on window.__fake, besides sent / log / failNext / progress:
//   hold[kind]        true: replies of that kind wait (progress still flows) until release(kind)
//   progress[kind]    [[done, total, message], ...] sent before that kind's reply (add has a default)
//   useGraph(name)    'demo' | 'hostile' | 'big' (50 stages): replace the pipeline (click refresh to see it)
//   graph             the current pipeline ({root, head, nodes, edges, problems})
//   recorded[key]     a reply recorded from the real kernel ({ok, payload, error, buffers: [base64]}), used instead of
//                     the canned one; key = kind, or "kind:stage" / "kind:after" when the request names one

import { createFakeModel, failure, response, takeFailure, unknownCommand } from "./fake_anywidget.js";
import { images, makeImages, XSS } from "./fake_model.js";

export { makeImages, XSS };

const ORIGINAL = { width: 640, height: 480 };

function node(id, kind, table, extra = {}) {
  const n = { id, kind, table, column: null, output: null, rows: null, errors: null, error_rate: null, compute_seconds: null, definition: "", transform: null, params: {}, managed: true, problem: null, ...extra };
  if (n.error_rate === null && typeof n.rows === "number" && n.rows > 0 && typeof n.errors === "number") n.error_rate = n.errors / n.rows;
  return n;
}

/** A column summary as progressive/stats.py makes it (numbers: histogram; strings: top values; others: none). */
function columnSummary(c, rows, nodes) {
  const errors = nodes.find((x) => x.column === c.name)?.errors ?? 0;
  const numeric = c.type === "int" || c.type === "float";
  const stored = c.is_stored !== false;
  const chart = !stored ? "none" : numeric ? "histogram" : c.type === "string" ? "top" : "none";
  return {
    column: c.name, type: c.type, stored, computed: c.is_computed, rows,
    nulls: stored ? errors : null,
    errors: c.is_computed && stored ? errors : null,
    min: numeric ? 0 : null, max: numeric ? 9 : null, mean: numeric ? 4.5 : null,
    chart, note: stored ? (chart === "none" ? `${c.type} values: nulls and errors only` : "") : "computed when read: values are not in the database, so only the row count is known",
  };
}

function col(name, type, type_text, extra = {}) {
  return { name, type, type_text, computed_with: null, is_stored: true, is_computed: false, sortable: false, problem: null, ...extra };
}

// ---- the demo pipeline: videos → frames → faces → n_faces → with_faces → alerts, and a broken branch -------------

const FACES_DEF = "detect_faces(frames.frame, cascade='haarcascade_frontalface_default', scale_factor=1.1, min_neighbors=5, min_size=30)";
export const ALERTS_DEF = "when(with_faces.n_faces >= 3).then('crowd').otherwise('<script>window.__pwned=2</script>')";

function demoPipeline() {
  const nodes = [
    node("videos", "source", "demo/videos", { output: "video", rows: 3, errors: 0, managed: false }),
    node("frames", "iterator", "demo/frames", { output: "frame", rows: 120, errors: 0, compute_seconds: 12.5, definition: "frame_iterator(videos.video, fps=1.0)", transform: "extract_frames", params: { fps: 1.0 } }),
    node("faces", "column", "demo/frames", { column: "faces", output: "faces", rows: 120, errors: 3, compute_seconds: 2.4, definition: FACES_DEF, transform: "detect_faces", params: { min_size: 30 } }),
    node("n_faces", "column", "demo/frames", { column: "n_faces", output: "n_faces", rows: 120, errors: 0, definition: "count_detections(frames.faces)", transform: "count_detections" }),
    node("with_faces", "filter", "demo/with_faces", { output: "frame", rows: 41, errors: 0, definition: "frames.n_faces > 0", transform: "keep_if", params: { op: ">", value: 0 } }),
    node("alerts", "column", "demo/with_faces", { column: "alerts", output: "alerts", rows: 41, errors: 0, definition: ALERTS_DEF, transform: "when" }),
    node("people", "column", "demo/frames", { column: "people", output: "people", rows: 120, errors: null, definition: "detect_people_v2(frames.frame)", managed: false, problem: "UDF __main__.detect_people_v2 cannot be loaded (it was defined in a notebook that has restarted)" }),
  ];
  const edges = [
    ["videos", "frames"],
    ["frames", "faces"],
    ["faces", "n_faces"],
    ["n_faces", "with_faces"],
    ["with_faces", "alerts"],
    ["frames", "people"],
  ].map(([source, target]) => ({ source, target }));
  const problems = [{ stage: "people", problem: "UDF __main__.detect_people_v2 cannot be loaded", fix: "Define it in a module and add the stage again, or drop it." }];
  return { root: "videos", head: "alerts", nodes, edges, problems };
}

const TYPES = { videos: "video", frames: "image", faces: "json", n_faces: "int", with_faces: "image", alerts: "string", people: "json" };

function demoTables() {
  const frameCols = [
    col("pos", "int", "Int", { sortable: true }),
    col("frame", "image", "Image", { is_stored: false, is_computed: true, computed_with: "frame_iterator(videos.video, fps=1.0)" }),
    col("faces", "json", "Json", { is_computed: true, computed_with: FACES_DEF }),
    col("n_faces", "int", "Int", { is_computed: true, computed_with: "count_detections(faces)", sortable: true }),
    col("people", "json", "Json", { is_computed: true, computed_with: "detect_people_v2(frame)", problem: "UDF __main__.detect_people_v2 cannot be loaded" }),
  ];
  return {
    "demo/videos": [col("video", "video", "Video"), col("title", "string", "String", { sortable: true })],
    "demo/frames": frameCols,
    "demo/with_faces": [...frameCols.filter((c) => c.name !== "people"), col("alerts", "string", "String", { is_computed: true, computed_with: ALERTS_DEF, sortable: true })],
  };
}

function hostilePipeline() {
  const g = demoPipeline();
  g.nodes[1] = { ...g.nodes[1], id: XSS[0], definition: `frame_iterator(videos.video) ${XSS[1]}` };
  g.nodes[2] = { ...g.nodes[2], problem: `<b>bold?</b> ${XSS[0]}` };
  g.edges = g.edges.map((e) => ({ source: e.source === "frames" ? XSS[0] : e.source, target: e.target === "frames" ? XSS[0] : e.target }));
  g.problems = [{ stage: XSS[0], problem: XSS[1], fix: "<i>not italic</i>" }];
  return g;
}

/** 50 stages: a main chain of 30 and four branches of 5 hanging off it. */
function bigPipeline() {
  const kinds = ["iterator", "column", "column", "filter", "column"];
  const nodes = [node("s0", "source", "demo/s0", { rows: 1000, errors: 0, output: "video" })];
  const edges = [];
  for (let i = 1; i < 50; i++) {
    const kind = kinds[i % kinds.length];
    let parent;
    if (i < 30) parent = `s${i - 1}`;
    else {
      const k = Math.floor((i - 30) / 5);
      parent = (i - 30) % 5 === 0 ? `s${3 + k * 6}` : `s${i - 1}`;
    }
    const table = kind === "column" ? nodes.find((n) => n.id === parent).table : `demo/s${i}`;
    nodes.push(node(`s${i}`, kind, table, { column: kind === "column" ? `s${i}` : null, rows: 1000 + i, errors: i % 7 === 0 ? i : 0, definition: `transform_${i}(${parent}.out, k=${i})` }));
    edges.push({ source: parent, target: `s${i}` });
  }
  return { root: "s0", head: "s29", nodes, edges, problems: [] };
}

// ---- transforms ------------------------------------------------------------------------------------------------

function param(name, type, dflt, description, extra = {}) {
  return { name, type, default: dflt, description, minimum: null, maximum: null, exclusive_minimum: null, choices: null, nullable: false, ...extra };
}

const OPS = [">", ">=", "<", "<=", "==", "!="];

export const TRANSFORMS = [
  {
    name: "extract_frames", kind: "iterator", input_type: "video", output: "frame", output_type: "image", notes: null,
    description: "Frames of each video, at a fixed rate (one row per frame).",
    params: [param("fps", "float", 1.0, "Frames per second", { exclusive_minimum: 0, maximum: 120 })],
  },
  {
    name: "detect_faces", kind: "column", input_type: "image", output: null, output_type: "detections", notes: null,
    description: "Faces found by one of OpenCV's Haar cascades.",
    params: [
      param("cascade", "choice", "haarcascade_frontalface_default", "Which of OpenCV's Haar cascades", { choices: ["haarcascade_frontalface_default", "haarcascade_frontalface_alt2", "haarcascade_profileface"] }),
      param("scale_factor", "float", 1.1, "Shrink factor between scales", { minimum: 1.01, maximum: 2.0 }),
      param("min_neighbors", "int", 5, "Overlapping candidates needed to keep a box", { minimum: 0, maximum: 50 }),
      param("min_size", "int", 30, "Smallest box side, in pixels", { minimum: 1, maximum: 4096 }),
    ],
  },
  {
    name: "detect_objects", kind: "column", input_type: "image", output: null, output_type: "detections",
    notes: "Weights load from $YOLOX_HOME/weights/<model_id>.pth; a missing file is downloaded, which needs the network.",
    description: "Objects of the 80 COCO classes found by a YOLOX model.",
    params: [
      param("model_id", "choice", "yolox_tiny", "YOLOX model size", { choices: ["yolox_nano", "yolox_tiny", "yolox_s", "yolox_m"] }),
      param("threshold", "float", 0.5, "Smallest confidence kept", { minimum: 0, maximum: 1 }),
    ],
  },
  {
    name: "count_detections", kind: "column", input_type: "json", output: null, output_type: "int", notes: null,
    description: "The number of detections.", params: [],
  },
  {
    name: "has_detections", kind: "filter", input_type: "json", output: null, output_type: null, notes: null,
    description: "Only the rows with at least a given number of detections.",
    params: [param("min_count", "int", 1, "Fewest detections", { minimum: 1, maximum: 100000 })],
  },
  {
    name: "when", kind: "column", input_type: "number", output: null, output_type: "string", notes: null,
    description: "One label where a comparison holds and another elsewhere.",
    params: [
      param("op", "choice", ">", "How to compare", { choices: OPS }),
      param("value", "float", 0, "Compared with"),
      param("then", "string", "yes", "Label where it holds"),
      param("otherwise", "string", "no", "Label elsewhere"),
    ],
  },
  {
    name: "keep_if", kind: "filter", input_type: "number", output: null, output_type: null, notes: null,
    description: "Only the rows where a number compares as given.",
    params: [param("op", "choice", ">", "How to compare", { choices: OPS }), param("value", "float", 0, "Compared with")],
  },
  {
    name: "text_contains", kind: "filter", input_type: "string", output: null, output_type: null, notes: null,
    description: "Only the rows whose text contains a given string.",
    params: [param("text", "string", "", "The string to look for"), param("case", "bool", false, "Match upper and lower case exactly")],
  },
  {
    name: "sample_rows", kind: "filter", input_type: "any", output: null, output_type: null, notes: null,
    description: "Every n-th row (a cheap sample to try things on).",
    params: [param("every", "int", 10, "Keep one row in", { minimum: 1, maximum: 1000 }), param("seed", "int", null, "Random offset (none: start at the first row)", { nullable: true, minimum: 0 })],
  },
].map((t) => ({ source: `pxwidgets.functions.${t.name}`, builtin: true, json_schema: { type: "object" }, ...t }));

function fits(inputType, outType) {
  if (inputType === "any") return true;
  if (inputType === "number") return outType === "int" || outType === "float";
  if (inputType === "json") return outType === "json" || outType === "detections";
  if (inputType === "image") return outType === "image";
  return inputType === outType;
}

// ---- pages -------------------------------------------------------------------------------------------------------

function detections(i) {
  const n = i % 3;
  const boxes = [[80, 160, 280, 400], [360, 200, 600, 420]].slice(0, n);
  return { boxes, labels: boxes.map((_, k) => (k ? "face" : XSS[0])), scores: boxes.map((_, k) => (k ? 0.78 : 0.91)) };
}

function valueFor(c, i, buffers, errorsOnly) {
  const img = () => {
    buffers.push(images[i % images.length]);
    return buffers.length - 1;
  };
  switch (c.name) {
    case "pos":
      return { kind: "number", value: i };
    case "video":
      return { kind: "video", buffer: img(), mime: "image/png", ...ORIGINAL, path: `/media/videos/street_${i}.mp4` };
    case "title":
      return { kind: "text", value: i === 0 ? XSS[1] : `street camera ${i}` };
    case "frame": {
      const d = detections(i);
      return { kind: "image", buffer: img(), mime: "image/png", ...ORIGINAL, overlays: d.boxes.length ? [{ column: "faces", ...d }] : [] };
    }
    case "faces":
      if (errorsOnly || i % 40 === 7) return { kind: "error", errortype: "ValueError", errormsg: `cascade failed on frame ${i}: ${XSS[1]}` };
      return { kind: "json", value: detections(i) };
    case "n_faces":
      return { kind: "number", value: i % 3 };
    case "people":
      return { kind: "error", errortype: "UDFNotFound", errormsg: "UDF __main__.detect_people_v2 cannot be loaded" };
    case "alerts":
      return { kind: "text", value: i % 3 === 2 ? "crowd" : XSS[1] };
    default:
      if (c.type === "int") return { kind: "number", value: (i * 7) % 5 };
      if (c.type === "image") return { kind: "image", buffer: img(), mime: "image/png", ...ORIGINAL, overlays: [] };
      if (c.type === "json") return { kind: "json", value: detections(i) };
      if (c.type === "bool") return { kind: "bool", value: i % 2 === 0 };
      return { kind: "text", value: `${c.name} ${i}` };
  }
}

function page(columns, total, req, code) {
  const buffers = [];
  const rows = [];
  const end = Math.min(req.offset + req.limit, total);
  for (let i = req.offset; i < end; i++) {
    const n = req.order_by && !req.order_by.asc ? total - 1 - i : i;
    const src = req.errors_only ? n * 40 + 7 : n;
    rows.push(columns.map((c) => valueFor(c, src, buffers, req.errors_only)));
  }
  return {
    payload: { columns, rows, offset: req.offset, limit: req.limit, total, elapsed_ms: 8.4, code },
    buffers: buffers.map((b) => new DataView(b.buffer.slice(0))),
  };
}

// ---- the model ---------------------------------------------------------------------------------------------------

class Failure extends Error {
  constructor(error) {
    super(error.message);
    this.error = error;
  }
}

export function createModel(initial, { graph = "demo" } = {}) {
  const { model, fake, traits, emit } = createFakeModel({
    traits: initial,
    controls: { hold: {}, held: {}, recorded: {}, graph: null, tables: demoTables(), types: { ...TYPES }, release, useGraph },
    answer,
  });

  function useGraph(name) {
    fake.graph = name === "big" ? bigPipeline() : name === "hostile" ? hostilePipeline() : demoPipeline();
    fake.tables = demoTables();
    fake.types = { ...TYPES };
    if (name === "hostile") fake.types[XSS[0]] = "image";
  }
  useGraph(graph);

  function release(kind) {
    const fns = fake.held[kind] ?? [];
    delete fake.held[kind];
    fake.hold[kind] = false;
    for (const fn of fns) fn();
  }

  const find = (stage) => {
    const n = fake.graph.nodes.find((x) => x.id === stage);
    if (!n) throw new Failure({ message: `No stage named '${stage}' in this pipeline.`, code: "not_found", hint: `Known stages: ${fake.graph.nodes.map((x) => x.id).join(", ")}.` });
    return n;
  };
  const columnsOf = (table) => fake.tables[table] ?? [col("pos", "int", "Int"), col("value", "string", "String")];
  const typeOf = (stage) => fake.types[stage] ?? "json";
  const snapshot = () => JSON.parse(JSON.stringify(fake.graph));

  function checkName(name) {
    if (typeof name !== "string" || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      throw new Failure({ message: `'${name}' is not a valid stage name.`, code: "invalid_name", hint: 'Use ASCII letters, digits and underscores, starting with a letter (e.g. "n_faces").' });
    }
    if (["count", "pos", "stored", "on_error"].includes(name.toLowerCase())) {
      throw new Failure({ message: `'${name}' is a reserved name in Pixeltable.`, code: "invalid_name", hint: `Choose another name, e.g. '${name}_value'.` });
    }
    if (fake.graph.nodes.some((n) => n.id === name.toLowerCase())) {
      throw new Failure({ message: `A stage named '${name}' exists already.`, code: "conflict" });
    }
  }

  /** The new stage a draft would make: its node, its table's columns, and its output type. */
  function draftStage({ after, transform, params, name }) {
    const base = find(after);
    const t = TRANSFORMS.find((x) => x.name === transform);
    if (!t) throw new Failure({ message: `No transform named '${transform}'.`, code: "not_found" });
    checkName(name);
    const definition = `${transform}(${base.id}.${base.output ?? "?"}${Object.entries(params ?? {}).map(([k, v]) => `, ${k}=${JSON.stringify(v)}`).join("")})`;
    const baseCols = columnsOf(base.table);
    let table = base.table;
    let columns;
    let rows = base.rows ?? 0;
    if (t.kind === "column") {
      columns = [...baseCols, col(name, t.output_type === "detections" ? "json" : t.output_type ?? "json", t.output_type ?? "Json", { is_computed: true, computed_with: definition })];
    } else if (t.kind === "iterator") {
      table = `demo/${name}`;
      columns = [col("pos", "int", "Int"), col(t.output ?? name, t.output_type ?? "json", t.output_type ?? "Json", { is_stored: false, is_computed: true, computed_with: definition })];
      rows = rows * 40;
    } else {
      table = `demo/${name}`;
      columns = baseCols;
      rows = Math.ceil(rows / 3);
    }
    const stage = node(name, t.kind, table, { column: t.kind === "column" ? name : null, output: t.kind === "column" ? name : t.kind === "iterator" ? t.output : base.output, rows, errors: 0, definition, transform, params });
    return { stage, table, columns, type: t.kind === "filter" ? typeOf(after) : t.output_type === "detections" ? "json" : t.output_type };
  }

  function dropPlan(stage) {
    find(stage);
    const out = [];
    const seen = new Set();
    const visit = (id) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const e of fake.graph.edges.filter((x) => x.source === id)) visit(e.target);
      out.push(id);
    };
    visit(stage);
    return out; // dependents first, the stage itself last
  }

  const REPLIES = {
    graph: () => snapshot(),
    rows: (p) => {
      const n = find(p.stage);
      const req = { offset: 0, limit: 10, order_by: null, filters: [], errors_only: false, ...p };
      const all = n.rows ?? 0;
      const total = req.errors_only ? (n.errors ?? 0) : req.filters.length ? Math.min(12, all) : all;
      return page(columnsOf(n.table), total, req, `t = pxt.get_table('${n.table}')\nt.limit(${req.limit}, offset=${req.offset}).collect()`);
    },
    transforms: (p) => {
      find(p.after);
      const out = typeOf(p.after);
      return { transforms: TRANSFORMS.filter((t) => fits(t.input_type, out)) };
    },
    preview: (p) => {
      const d = draftStage(p);
      const n = Math.max(0, Math.min(p.n ?? 10, d.stage.rows));
      return page(d.columns, n, { offset: 0, limit: n, order_by: null, filters: [], errors_only: false }, "");
    },
    add: (p) => {
      const d = draftStage(p);
      fake.graph.nodes.push(d.stage);
      fake.graph.edges.push({ source: p.after, target: d.stage.id });
      fake.graph.head = d.stage.id;
      fake.tables[d.table] = d.columns;
      if (d.stage.kind === "column") {
        // a column joins its table: every stage showing that table shows it too
        for (const [tbl, cols] of Object.entries(fake.tables)) if (tbl === d.table) fake.tables[tbl] = d.columns;
      }
      fake.types[d.stage.id] = d.type;
      model.set("head", d.stage.id);
      return { stage: d.stage, graph: snapshot() };
    },
    column_stats: (p) => {
      const n = find(p.stage);
      const cols = columnsOf(n.table).filter((c) => n.kind !== "column" || c.name === n.column);
      return { stage: n.id, table: n.table, columns: cols.map((c) => columnSummary(c, n.rows ?? 0, fake.graph.nodes.filter((x) => x.table === n.table))) };
    },
    column_chart: (p) => {
      const n = find(p.stage);
      const c = columnsOf(n.table).find((x) => x.name === p.column);
      if (!c) throw new Failure({ message: `Stage '${n.id}' has no column '${p.column}'.`, code: "invalid_request" });
      const s = columnSummary(c, n.rows ?? 0, []);
      const x = s.chart === "top" ? ["cat", "dog"] : ["0–4.5", "4.5–9"];
      const figure = { data: [{ type: "bar", x, y: [5, 2], name: c.name }], layout: { title: { text: `${n.id}.${c.name}` } } };
      return { stage: n.id, column: c.name, kind: s.chart, note: s.note, other: s.chart === "top" ? 1 : 0, figure };
    },
    drop_plan: (p) => ({ plan: dropPlan(p.stage) }),
    drop: (p) => {
      const plan = dropPlan(p.stage);
      if (JSON.stringify(plan) !== JSON.stringify(p.expect)) {
        throw new Failure({ message: "The pipeline changed since the drop plan was made; nothing was dropped.", code: "conflict", hint: "Ask for the plan again." });
      }
      const gone = new Set(plan);
      const input = fake.graph.edges.find((e) => e.target === p.stage)?.source ?? fake.graph.root;
      fake.graph.nodes = fake.graph.nodes.filter((n) => !gone.has(n.id));
      fake.graph.edges = fake.graph.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target));
      fake.graph.problems = fake.graph.problems.filter((x) => !gone.has(x.stage));
      if (gone.has(fake.graph.head)) fake.graph.head = input;
      // as the kernel does: a dropped selection is cleared (the trait update reaches the panel before the reply)
      if (gone.has(traits.selected)) model.set("selected", "");
      return { dropped: plan, graph: snapshot() };
    },
    code: (p) => {
      if (p.stage) {
        const n = find(p.stage);
        return { code: `# stage ${n.id}\np.add_stage(${JSON.stringify(n.id)}, transform=${JSON.stringify(n.transform)})\n# ${n.definition}` };
      }
      const lines = ["import pixeltable as pxt", "from pxwidgets.patterns import ProgressiveRefinement", "", "p = ProgressiveRefinement('demo/videos')"];
      for (const n of fake.graph.nodes.filter((x) => x.kind !== "source")) lines.push(`p.add_stage(${JSON.stringify(n.id)}, transform=${JSON.stringify(n.transform)})  # ${n.definition}`);
      return { code: lines.join("\n") };
    },
  };

  const DEFAULT_PROGRESS = {
    add: [
      [0, 120, "computing"],
      [40, 120, "computing"],
      [80, 120, "computing"],
      [120, 120, "storing"],
    ],
  };

  function answer(msg) {
    const { id, kind, payload } = msg;
    const steps = fake.progress[kind] ?? DEFAULT_PROGRESS[kind] ?? [];
    steps.forEach(([done, total, message], i) => {
      setTimeout(() => emit("msg:custom", { type: "progress", id, done, total, message }, []), 2 + i * 25);
    });
    const delay = 5 + steps.length * 25;
    const deliver = (fn) => {
      if (fake.hold[kind]) (fake.held[kind] ??= []).push(() => setTimeout(fn, 1));
      else setTimeout(fn, delay);
    };
    const target = payload?.stage ?? payload?.after;
    const recorded = fake.recorded[target === undefined ? kind : `${kind}:${target}`] ?? fake.recorded[kind];
    if (recorded) {
      const buffers = (recorded.buffers ?? []).map((b64) => new DataView(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer));
      const reply = recorded.ok ? response(id, recorded.payload) : failure(id, recorded.error);
      deliver(() => emit("msg:custom", reply, recorded.ok ? buffers : []));
      return;
    }
    const error = takeFailure(fake, kind);
    if (error) {
      deliver(() => emit("msg:custom", failure(id, error), []));
      return;
    }
    const make = REPLIES[kind];
    if (!make) {
      deliver(() => emit("msg:custom", unknownCommand(id, kind), []));
      return;
    }
    // Computed when delivered (as the kernel would, after the work), so a held add changes the graph only then.
    deliver(() => {
      let reply;
      try {
        const out = make(payload ?? {});
        reply = out && out.payload && out.buffers ? out : { payload: out, buffers: [] };
      } catch (err) {
        emit("msg:custom", failure(id, err instanceof Failure ? err.error : { message: String(err), code: "internal" }), []);
        return;
      }
      emit("msg:custom", response(id, reply.payload), reply.buffers);
    });
  }

  return model;
}
