/** Plain string order (UTF-16 code units), identical in every process: the order rows are written in. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
