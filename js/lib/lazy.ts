// Lazy start: a panel asks the kernel for its data only once it is first on screen.
//
// A panel rendered off-screen or hidden (a collapsed output, a background tab, a notebook opened scrolled down) would
// otherwise fetch pages and thumbnails nobody sees, and lay out its charts at zero width. Front ends also differ in
// when they call render at all: VS Code's Jupyter runs it only when the output scrolls into view
// (microsoft/vscode-jupyter#17132). Starting on first visibility makes every front end behave the same way: the panel's
// frame shows at once, its data loads when it is seen. Without IntersectionObserver the panel starts at once.

/** How far outside the viewport a panel counts as visible: start loading just before it scrolls in. */
export const LAZY_MARGIN = "0px 0px 300px 0px";

/**
 * Resolves the first time `el` intersects the viewport (give or take `margin`), then stops watching.
 * `el` may still be detached: it is watched from the moment it is attached.
 */
export function whenVisible(el: Element, margin = LAZY_MARGIN): Promise<void> {
  const Observer = (globalThis as { IntersectionObserver?: typeof IntersectionObserver }).IntersectionObserver;
  if (typeof Observer !== "function") return Promise.resolve();
  return new Promise<void>((resolve) => {
    const observer = new Observer(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        observer.disconnect();
        resolve();
      },
      { rootMargin: margin },
    );
    observer.observe(el);
  });
}
