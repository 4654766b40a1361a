/** Numbers for people: dollars, thousands separators, durations, rates. One locale: en-US. */

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
const smallDollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 4, maximumFractionDigits: 4 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });
const factor = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

const DASH = "–";

/** Micro-dollars (1 USD = 1,000,000) as dollars: $1,234.56; below a dollar with four decimals. */
export function formatUsd(micros: number | null): string {
  if (micros === null || !Number.isFinite(micros)) return DASH;
  const usd = micros / 1_000_000;
  return Math.abs(usd) > 0 && Math.abs(usd) < 1 ? smallDollars.format(usd) : dollars.format(usd);
}

/** Dollars for chart axes: two decimals (a tick at $0.7500 is noise). */
export function formatUsdAxis(micros: number): string {
  return dollars.format(micros / 1_000_000);
}

/** 1234567 → "1,234,567". */
export function formatInteger(value: number | null): string {
  return value === null || !Number.isFinite(value) ? DASH : integer.format(value);
}

/** 1234567 → "1.2M", for axes. */
export function formatCompact(value: number): string {
  return compact.format(value);
}

/** 0.853 → "85.3%". */
export function formatPercent(value: number | null): string {
  return value === null || !Number.isFinite(value) ? DASH : percent.format(value);
}

/** A correction factor: 1.08 → "1.08×". */
export function formatFactor(value: number | null): string {
  return value === null || !Number.isFinite(value) ? DASH : `${factor.format(value)}×`;
}

/** Milliseconds as "850 ms", "42 s", "3 min 20 s", "2 h 5 min". */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/** An ISO timestamp as "Dec 4, 2026, 14:05 UTC". */
export function formatTime(iso: string | null): string {
  if (iso === null) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toLocaleString("en-US", { timeZone: "UTC", month: "short", day: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })} UTC`;
}

/** A dimension value for people: "code_review" → "code review"; null (ungrouped) → "all". */
export function formatLabel(value: string | null): string {
  return value === null ? "all" : value.replace(/_/g, " ");
}

/** "task type" → "Task type", for headings. */
export function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
