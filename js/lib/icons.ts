// Small line icons as inline SVG (emoji fonts are not everywhere; these draw the same in every browser).

import { svg } from "./dom";

const PATHS: Record<string, string[]> = {
  document: ["M4 1.5h5.5L13 5v9.5H4z", "M9.5 1.5V5H13", "M6 8h5M6 10.5h5"],
  audio: ["M3 6h2.5L9 3v10L5.5 10H3z", "M11 5.5a3.5 3.5 0 0 1 0 5"],
  image: ["M2 3h12v10H2z", "M2 11l3.5-3.5L8 10l2-2 4 4", "M10.5 6.2a0.7 0.7 0 1 0 0.01 0"],
  video: ["M2 3.5h9v9H2z", "M11 7l3-2v6l-3-2"],
  file: ["M4 1.5h5.5L13 5v9.5H4z", "M9.5 1.5V5H13"],
};

export type IconName = keyof typeof PATHS;

export function icon(name: IconName): SVGSVGElement {
  const el = svg("svg", { class: `pxw-icon pxw-icon-${name}`, viewBox: "0 0 16 16", width: 14, height: 14, "aria-hidden": "true" });
  for (const d of PATHS[name] ?? PATHS.file) el.appendChild(svg("path", { d }));
  return el;
}
