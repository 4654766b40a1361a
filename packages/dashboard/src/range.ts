import { el, uid } from "./dom.js";

/**
 * The range every usage view reads: the last 7, 30 or 90 UTC days (today included) or custom
 * dates, and its buckets: hours for ranges up to 2 days, or by choice up to 31 days (the API's
 * limit for hour buckets), else days. The usage API wants whole UTC hours: from is a UTC
 * midnight, to the next whole hour (today's events so far) or the midnight after the last date.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const MAX_HOUR_DAYS = 31;

export type Preset = "7" | "30" | "90" | "custom";

export interface RangeState {
  preset: Preset;
  /** Custom dates, YYYY-MM-DD, both included. */
  customFrom: string;
  customTo: string;
  hourly: boolean;
}

export interface ResolvedRange {
  from: string;
  to: string;
  bucket: "hour" | "day";
  days: number;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const dateOnly = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function defaultRange(now = Date.now()): RangeState {
  return { preset: "30", customFrom: dateOnly(now - 6 * DAY), customTo: dateOnly(now), hourly: false };
}

/** The range as the API takes it, or an error message for custom dates that make no range. */
export function resolveRange(state: RangeState, now = Date.now()): ResolvedRange | string {
  let from: number;
  let to: number;
  if (state.preset === "custom") {
    from = Date.parse(`${state.customFrom}T00:00:00Z`);
    to = Date.parse(`${state.customTo}T00:00:00Z`) + DAY;
    if (!Number.isFinite(from) || !Number.isFinite(to)) return "Pick both dates.";
    if (to <= from) return "The first date must not be after the last.";
    if (to - from > 366 * DAY) return "A range is at most 366 days.";
  } else {
    to = Math.floor(now / HOUR) * HOUR + HOUR;
    from = Math.floor(now / DAY) * DAY - (Number(state.preset) - 1) * DAY;
  }
  const days = Math.ceil((to - from) / DAY);
  const bucket = days <= 2 || (state.hourly && days <= MAX_HOUR_DAYS) ? "hour" : "day";
  return { from: iso(from), to: iso(to), bucket, days };
}

/**
 * The range picker: presets as a radio group, custom dates, the hourly switch. Calls `onChange`
 * with the new state; it is not rebuilt on a change, so keyboard focus stays where it was.
 */
export function rangePicker(initial: RangeState, onChange: (next: RangeState) => void): HTMLElement {
  let state = initial;
  const change = (patch: Partial<RangeState>): void => {
    state = { ...state, ...patch };
    custom.hidden = state.preset !== "custom";
    onChange(state);
  };
  const name = uid("range");
  const presets: [Preset, string][] = [
    ["7", "7 days"],
    ["30", "30 days"],
    ["90", "90 days"],
    ["custom", "Custom"],
  ];
  const fromId = uid("from");
  const toId = uid("to");
  const hourlyId = uid("hourly");
  const custom = el(
    "div",
    { class: "custom-dates", hidden: state.preset !== "custom" },
    el("label", { for: fromId }, "From"),
    el("input", { id: fromId, type: "date", value: state.customFrom, onchange: (e) => change({ customFrom: (e.target as HTMLInputElement).value }) }),
    el("label", { for: toId }, "to"),
    el("input", { id: toId, type: "date", value: state.customTo, onchange: (e) => change({ customTo: (e.target as HTMLInputElement).value }) }),
  );
  return el(
    "div",
    { class: "range-picker" },
    el(
      "fieldset",
      { class: "presets" },
      el("legend", {}, "Range (UTC)"),
      ...presets.map(([value, label]) =>
        el(
          "label",
          { class: "preset" },
          el("input", { type: "radio", name, value, checked: state.preset === value, onchange: () => change({ preset: value }) }),
          label,
        ),
      ),
    ),
    custom,
    el(
      "label",
      { class: "hourly", for: hourlyId },
      el("input", { id: hourlyId, type: "checkbox", checked: state.hourly, onchange: (e) => change({ hourly: (e.target as HTMLInputElement).checked }) }),
      `Hourly (ranges up to ${MAX_HOUR_DAYS} days)`,
    ),
  );
}
