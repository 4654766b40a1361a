import { PRICE_SNAPSHOT } from "./price-snapshot.js";
import type { MatchRule, ModelPrices, PriceSnapshot, SnapshotModel, UnitPrice } from "./price-types.js";

/** Which table priced the events: recorded in docs/capture.md and printed by `mosaic status`. */
export const PRICE_TABLE_VERSION = PRICE_SNAPSHOT.source;

/** Token counts of one request, by kind. `input` is the uncached input only. */
export interface TokenParts {
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
}

/** A model found in the table: how to price its requests, and its context window. */
export interface PricedModel {
  id: string;
  provider: string;
  contextWindow: number | null;
  /** Cost in USD micros of one request at the time `atMs` (prices may change over time). */
  costMicros(parts: TokenParts, atMs: number): number;
}

function matches(rule: MatchRule, name: string): boolean {
  if ("equals" in rule) return name === rule.equals;
  if ("starts_with" in rule) return name.startsWith(rule.starts_with);
  if ("ends_with" in rule) return name.endsWith(rule.ends_with);
  if ("contains" in rule) return name.includes(rule.contains);
  if ("regex" in rule) return new RegExp(rule.regex).test(name);
  if ("or" in rule) return rule.or.some((r) => matches(r, name));
  return rule.and.every((r) => matches(r, name));
}

/** A tiered price applies by the request's whole input (uncached + cache write + cache read), as the providers bill. */
function unitPrice(price: UnitPrice | undefined, inputTokens: number): number | undefined {
  if (price === undefined || typeof price === "number") return price;
  let result = price.base;
  for (const tier of price.tiers) if (inputTokens > tier.start) result = tier.price;
  return result;
}

function pricesAt(model: SnapshotModel, atMs: number): ModelPrices {
  if (!Array.isArray(model.prices)) return model.prices;
  let chosen: ModelPrices = model.prices[0]?.prices ?? {};
  for (const entry of model.prices) {
    if (entry.constraint?.type === "time_of_date") continue;
    const start = entry.constraint?.start_date;
    if (start === undefined || Date.parse(start) <= atMs) chosen = entry.prices;
  }
  return chosen;
}

/**
 * The provider a model name belongs to, from its family. Used for the event's `provider` and to
 * pick the table to look in; "unknown" when no family matches.
 */
export function providerOfModel(model: string): string {
  const name = model.toLowerCase();
  if (name.includes("claude")) return "anthropic";
  if (/^(gpt|o\d|codex|chatgpt|text-embedding)/.test(name)) return "openai";
  if (name.includes("gemini") || name.includes("gemma")) return "google";
  if (/mistral|codestral|devstral|magistral|ministral|pixtral/.test(name)) return "mistral";
  if (name.includes("grok")) return "xai";
  if (name.includes("deepseek")) return "deepseek";
  return "unknown";
}

/** Looks models up in one snapshot; the default is the snapshot shipped in the package. */
export class PriceTable {
  private readonly found = new Map<string, PricedModel | null>();

  constructor(private readonly snapshot: PriceSnapshot = PRICE_SNAPSHOT) {}

  /** The model's entry (the first whose match rule accepts the name, as genai-prices does), or null. */
  lookup(model: string): PricedModel | null {
    const cached = this.found.get(model);
    if (cached !== undefined) return cached;
    const provider = providerOfModel(model);
    const name = model.toLowerCase();
    const table = this.snapshot.providers.find((p) => p.provider === provider);
    const entry = table?.models.find((m) => matches(m.match, name));
    const result = entry === undefined ? null : priced(entry, provider);
    this.found.set(model, result);
    return result;
  }
}

function priced(entry: SnapshotModel, provider: string): PricedModel {
  return {
    id: entry.id,
    provider,
    contextWindow: entry.context_window,
    costMicros(parts, atMs) {
      const prices = pricesAt(entry, atMs);
      const whole = parts.input + parts.cacheWrite + parts.cacheRead;
      const input = unitPrice(prices.input_mtok, whole) ?? 0;
      // A provider without a cache-write price bills written tokens as input (OpenAI, Google);
      // without a cache-read price, reads are billed as input too.
      const cacheWrite = unitPrice(prices.cache_write_mtok, whole) ?? input;
      const cacheRead = unitPrice(prices.cache_read_mtok, whole) ?? input;
      const output = unitPrice(prices.output_mtok, whole) ?? 0;
      // USD per million tokens is exactly micro-USD per token.
      return parts.input * input + parts.cacheWrite * cacheWrite + parts.cacheRead * cacheRead + parts.output * output;
    },
  };
}
