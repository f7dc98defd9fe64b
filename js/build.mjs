// Bundles every panel into an ES module in pxwidgets/static/, with its CSS beside it.
// A panel is a folder js/<panel>/ with an index.ts (bundled as pxwidgets/static/<panel>.js); js/lib/ is shared code.
import * as esbuild from "esbuild";
import { existsSync, readdirSync } from "node:fs";

export function panelEntries(root = "js") {
  const entries = {};
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (dir.isDirectory() && dir.name !== "lib" && existsSync(`${root}/${dir.name}/index.ts`)) {
      entries[dir.name] = `${root}/${dir.name}/index.ts`;
    }
  }
  for (const file of readdirSync(root)) {  // single-file panels (js/<panel>.ts)
    if (file.endsWith(".ts") && !file.endsWith(".d.ts")) entries[file.slice(0, -3)] = `${root}/${file}`;
  }
  return entries;
}

const watch = process.argv.includes("--watch");
const options = {
  entryPoints: panelEntries(),
  bundle: true,
  format: "esm",
  target: "es2022",
  outdir: "pxwidgets/static",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  loader: { ".css": "css" },
  logLevel: "info",
};
if (process.argv[1] && process.argv[1].endsWith("build.mjs")) {
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  } else {
    await esbuild.build(options);
  }
}
