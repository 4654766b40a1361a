import type { GroupSummary, Storage } from "../storage/storage.js";
import { instanceCountKeysNeeded, meetsThresholds, type GroupTreeView, type PredictionThresholds } from "./privacy-rule.js";

/**
 * The part of the group tree one prediction request needs, read from storage in batches: each
 * `load` reads the qualifying subtree under its roots one level per call (at most three calls),
 * then the per-instance counts the privacy rule needs in one call. Whatever was read stays for
 * later `load`s of the same request, so no group is read twice.
 */
export class GroupTreeReader implements GroupTreeView {
  readonly #storage: Storage;
  readonly #thresholds: PredictionThresholds;
  readonly #children = new Map<string, GroupSummary[]>();
  readonly #counts = new Map<string, ReadonlyMap<string, number>>();

  constructor(storage: Storage, thresholds: PredictionThresholds) {
    this.#storage = storage;
    this.#thresholds = thresholds;
  }

  children(key: string): readonly GroupSummary[] {
    return this.#children.get(key) ?? [];
  }

  instanceCounts(key: string): ReadonlyMap<string, number> | undefined {
    return this.#counts.get(key);
  }

  /** Reads what judging `roots` needs. Groups below the thresholds are not descended into. */
  async load(roots: readonly GroupSummary[]): Promise<void> {
    // Below a group that misses the thresholds no group meets them (a subset has no more events
    // or instances), so nothing there can answer: only qualifying groups are descended into.
    const subtree: GroupSummary[] = [];
    let frontier = roots.filter((group) => meetsThresholds(group, this.#thresholds));
    while (frontier.length > 0) {
      subtree.push(...frontier);
      const unread = frontier.filter((group) => group.level > 0 && !this.#children.has(group.groupKey));
      if (unread.length > 0) {
        for (const group of unread) this.#children.set(group.groupKey, []);
        for (const child of await this.#storage.readChildSummaries(unread.map((group) => group.groupKey))) {
          if (child.parentKey !== null) this.#children.get(child.parentKey)?.push(child);
        }
      }
      frontier = frontier.flatMap((group) => this.children(group.groupKey)).filter((child) => meetsThresholds(child, this.#thresholds));
    }

    const needed = new Set<string>();
    for (const group of subtree) {
      for (const key of instanceCountKeysNeeded(group, this, this.#thresholds)) if (!this.#counts.has(key)) needed.add(key);
    }
    if (needed.size === 0) return;
    const counts = await this.#storage.readInstanceCounts([...needed]);
    for (const key of needed) this.#counts.set(key, counts.get(key) ?? new Map<string, number>());
  }
}
