// The cartesian plotly.js distribution ships no types of its own; it has plotly.js's API.
declare module "plotly.js-cartesian-dist-min" {
  import * as Plotly from "plotly.js";
  export default Plotly;
}
