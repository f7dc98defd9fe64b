import assert from "node:assert/strict";
import { test } from "node:test";
import type { ParamSpec } from "../lib/contract";
import { checkValue, fieldErrors, rangeText } from "../lib/param_form";
import { RpcError } from "../lib/rpc";

const spec = (over: Partial<ParamSpec>): ParamSpec => ({
  name: "p",
  type: "float",
  default: 1,
  description: "",
  minimum: null,
  maximum: null,
  exclusive_minimum: null,
  choices: null,
  nullable: false,
  ...over,
});

test("numbers are checked against their ranges as the kernel does", () => {
  const fps = spec({ exclusive_minimum: 0, maximum: 60 });
  assert.deepEqual(checkValue(fps, "2.5"), { value: 2.5 });
  assert.equal(checkValue(fps, "0").error, "Must be > 0.");
  assert.equal(checkValue(fps, "61").error, "Must be ≤ 60.");
  assert.equal(checkValue(fps, "").error, "Required.");
  assert.equal(checkValue(fps, "abc").error, "Enter a number.");
  assert.equal(checkValue(spec({ type: "int" }), "1.5").error, "Enter a whole number.");
  assert.deepEqual(checkValue(spec({ nullable: true }), ""), { value: null });
});

test("choices, booleans and text", () => {
  const choice = spec({ type: "choice", choices: ["a", "b"], default: "a" });
  assert.deepEqual(checkValue(choice, "b"), { value: "b" });
  assert.equal(checkValue(choice, "c").error, "Pick one of the choices.");
  assert.deepEqual(checkValue(spec({ type: "bool" }), true), { value: true });
  assert.deepEqual(checkValue(spec({ type: "string" }), "x y"), { value: "x y" });
});

test("range text", () => {
  assert.equal(rangeText(spec({ minimum: 1.01, maximum: 2 })), "≥ 1.01, ≤ 2");
  assert.equal(rangeText(spec({ type: "string" })), "");
});

test("per-field errors come from the error's details, never from its message", () => {
  const err = new RpcError({
    message: "Invalid parameters for t: fps: must be > 0",
    code: "invalid_parameter",
    details: { params: [{ param: "min_size", message: "too small" }] },
  });
  assert.deepEqual([...fieldErrors(err)], [["min_size", "too small"]]);
  assert.equal(fieldErrors(new RpcError({ message: "fps: bad", code: "invalid" })).size, 0);
});
