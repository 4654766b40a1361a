/** Prints a bench's results as a Markdown table plus one line per target, so docs can quote it. */

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** @param {string[]} header @param {string[][]} rows */
export function printTable(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  console.log(lines.join("\n"));
}

/**
 * One target line: `label: ratio (goal) target met|missed`; a ratio by default (unit "x"), or
 * another figure with its unit (e.g. " s"). `ratio` null means the subject was not measured (e.g.
 * the SDK is not built) and the target is reported as not evaluated.
 * @param {string} label @param {number | null} ratio @param {"<=" | ">="} op @param {number} goal @param {string} [unit]
 */
export function printTarget(label, ratio, op, goal, unit = "x") {
  if (ratio === null || !Number.isFinite(ratio)) {
    console.log(`- ${label}: not measured (${op} ${goal}${unit}) target not evaluated`);
    return;
  }
  const met = op === "<=" ? ratio <= goal : ratio >= goal;
  console.log(`- ${label}: ${ratio.toFixed(2)}${unit} (${op} ${goal}${unit}) ${met ? "target met" : "target missed"}`);
}

/** The machine line every bench prints first, so a pasted result says where it came from. */
export async function printMachine() {
  const os = await import("node:os");
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`machine: ${os.cpus().length} CPUs (${cpu}), node ${process.version}, ${os.platform()} ${os.release()}`);
}
