import { el, replace, select } from "./dom.js";
import { resolveRange, type ResolvedRange } from "./range.js";
import { loadInto, type ViewContext } from "./view-context.js";

/** One of a view's own pickers: a labelled select whose choice `choose` keeps; the view then reloads. */
export interface Picker {
  label: string;
  /** [value, text] pairs. */
  options: readonly (readonly [string, string])[];
  value: string;
  choose: (value: string) => void;
}

/** What a view over the picked range is made of. */
export interface RangeViewParts<T> {
  /** Names the heading's id (`${id}-title`), which labels the section. */
  id: string;
  heading: string;
  /** The view's own pickers, beside the shell's range picker. */
  pickers: readonly Picker[];
  load: (range: ResolvedRange) => Promise<T>;
  render: (data: T) => (Node | string)[];
}

/**
 * A section with a heading, the view's pickers and a body that loads the picked range's data
 * (custom dates that make no range are said in the body instead). Every view over the range
 * is one of these, so they load, fail and read out alike.
 */
export function rangeView<T>(context: ViewContext, parts: RangeViewParts<T>): HTMLElement {
  const body = el("div", { class: "view-body" });
  const reload = (): void => {
    const range = resolveRange(context.range);
    if (typeof range === "string") {
      replace(body, el("p", { class: "error", role: "alert" }, range));
      return;
    }
    loadInto(body, context, () => parts.load(range), parts.render);
  };
  const pickers = parts.pickers.map(({ label, options, value, choose }) =>
    select(label, options, value, (chosen) => {
      choose(chosen);
      reload();
    }),
  );
  const controls = el("div", { class: "controls" }, ...pickers);
  reload();
  const titleId = `${parts.id}-title`;
  return el("section", { "aria-labelledby": titleId }, el("h2", { id: titleId }, parts.heading), controls, body);
}
