// Runs the unit tests of the pure TypeScript functions (js/**/*.test.ts) with node's own test runner:
// esbuild bundles each test file for node (CSS imports become empty), then `node --test` runs them.
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "node_modules" ? [] : find(join(dir, e.name))) : e.name.endsWith(".test.ts") ? [join(dir, e.name)] : [],
  );
}

const tests = find("js");
if (!tests.length) {
  console.error("no js/**/*.test.ts found");
  process.exit(1);
}
const outdir = ".pxw-cache/js-tests";
rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: tests,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outdir,
  outbase: "js",
  outExtension: { ".js": ".mjs" },
  loader: { ".css": "empty" },
  logLevel: "warning",
});
const files = tests.map((t) => join(outdir, t.slice(3).replace(/\.ts$/, ".mjs")));
const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(run.status ?? 1);
