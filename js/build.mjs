// Bundles each panel's entry (js/*.ts) into an ES module in pxwidgets/static/, with its CSS beside it.
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";

const entries = readdirSync("js").filter((f) => f.endsWith(".ts")).map((f) => `js/${f}`);
const options = {
  entryPoints: entries,
  bundle: true,
  format: "esm",
  target: "es2022",
  outdir: "pxwidgets/static",
  minify: !process.argv.includes("--watch"),
  sourcemap: process.argv.includes("--watch") ? "inline" : false,
  loader: { ".css": "css" },
  logLevel: "info",
};
if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
