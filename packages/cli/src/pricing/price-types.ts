/**
 * The shape of the price snapshot (genai-prices' data, trimmed to what a session's cost needs).
 * Prices are USD per million tokens; a tiered price switches by the request's input tokens.
 */

/** genai-prices' model match rule, evaluated against the model name as the harness wrote it. */
export type MatchRule =
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string }
  | { or: MatchRule[] }
  | { and: MatchRule[] };

export interface TieredPrice {
  base: number;
  tiers: { start: number; price: number }[];
}

export type UnitPrice = number | TieredPrice;

/** Per-million-token prices by kind; a kind the model does not bill is absent. */
export interface ModelPrices {
  input_mtok?: UnitPrice;
  output_mtok?: UnitPrice;
  cache_write_mtok?: UnitPrice;
  cache_read_mtok?: UnitPrice;
  [other: string]: unknown;
}

/**
 * Prices that changed over time: the last entry whose start_date is not after the request applies.
 * Hour-of-day discounts (`time_of_date`, DeepSeek's off-peak) are not applied: the standard price is.
 */
export interface ConditionalPrices {
  constraint?: { type: string; start_date?: string; start_time?: string; end_time?: string };
  prices: ModelPrices;
}

export interface SnapshotModel {
  id: string;
  match: MatchRule;
  context_window: number | null;
  prices: ModelPrices | ConditionalPrices[];
}

export interface PriceSnapshot {
  /** The package and version the table came from, e.g. "@pydantic/genai-prices@0.1.8". */
  source: string;
  providers: { provider: string; models: SnapshotModel[] }[];
}
