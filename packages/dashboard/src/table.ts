import { el, type Child } from "./dom.js";

/** One column of a table: its header, what a row shows in it, and whether it holds numbers. */
export interface Column<Row> {
  header: string;
  cell: (row: Row) => Child;
  /** Right-aligned, so digits line up. @default false */
  numeric?: boolean;
}

/**
 * A captioned table in a focusable scrolling region (wide tables scroll on their own on a
 * phone, not the page). Each column says its header, cell and alignment in one place, so a
 * column shown only sometimes cannot shift the others' alignment.
 *
 * @example
 * table("Keys", [{ header: "Key", cell: (k) => k.display }], keys, "keys-table")
 */
export function table<Row>(caption: string, columns: readonly Column<Row>[], rows: readonly Row[], testId?: string): HTMLElement {
  const align = (column: Column<Row>): string | null => (column.numeric === true ? "num" : null);
  const head = el("tr", {}, ...columns.map((column) => el("th", { scope: "col", class: align(column) }, column.header)));
  const body = rows.map((row) => el("tr", {}, ...columns.map((column) => el("td", { class: align(column) }, column.cell(row)))));
  return el(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    el("table", { "data-testid": testId }, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, ...body)),
  );
}
