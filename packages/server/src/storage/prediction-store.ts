/**
 * What the private predictor reads and writes (predictions/privacy/private-predictor.ts); each
 * engine provides it. Engines only move rows: folding, weighting and noise happen above them, in
 * one engine-independent place, so both engines give the same answers for the same seed.
 */

/** The four dimensions of a group, with its level: how many of them count (0: all four, 3: provider). */
export interface GroupDimensions {
  provider: string;
  model: string;
  task_type: string;
  complexity: string;
  level: 0 | 1 | 2 | 3;
}

/** A stored event as prediction reads return it. */
export interface PredictionEventRow {
  instanceId: string;
  /** The stored payload, parsed. */
  payload: Record<string, unknown>;
  receivedAt: Date;
}

/** A published crowd snapshot as stored: its body is the predictor's JSON. */
export interface StoredSnapshot {
  groupKey: string;
  computedAt: Date;
  body: string;
}

export interface PredictionStore {
  /** The stored snapshots among `groupKeys`. */
  readSnapshots(groupKeys: readonly string[]): Promise<Map<string, StoredSnapshot>>;
  /**
   * Stores each snapshot where none is stored or the stored one was computed at or before
   * `staleBefore`, in one transaction, then returns what is stored for those keys: when two
   * processes refresh the same group at once, the first write wins and both serve it.
   */
  saveSnapshots(snapshots: readonly StoredSnapshot[], staleBefore: Date): Promise<Map<string, StoredSnapshot>>;
  /**
   * Hands `visit` every stored event in the groups `groups` describe, found by an index on the
   * dimensions. Rows are not collected: a level-3 group may hold most of the database.
   */
  visitGroupEvents(groups: readonly GroupDimensions[], visit: (row: PredictionEventRow) => void): Promise<void>;
  /**
   * Hands `visit` every stored event, in storage order (a sequential read, far cheaper per event
   * than a group's events found through an index): what a refresh of every group reads.
   */
  visitAllEvents(visit: (row: PredictionEventRow) => void): Promise<void>;
  /** Hands `visit` one instance's stored events in the groups `groups` describe. */
  visitOwnEvents(instanceId: string, groups: readonly GroupDimensions[], visit: (row: PredictionEventRow) => void): Promise<void>;
}

/** The dimension values a group of `level` filters on, in index order (provider first). */
export function groupFilter(group: GroupDimensions): string[] {
  return [group.provider, group.model, group.task_type, group.complexity].slice(0, 4 - group.level);
}
