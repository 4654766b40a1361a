import type { InstanceAggregate } from "../aggregation/instance-aggregate.js";

/**
 * What the private predictor reads and writes (predictions/privacy/private-predictor.ts); each
 * engine provides it. Engines only move rows: the aggregates are folded at ingest by
 * aggregation's foldAccepted, and weighting and noise happen above the engines, in one
 * engine-independent place, so both engines give the same answers for the same seed.
 */

/** A published crowd snapshot as stored: its body is the predictor's JSON. */
export interface StoredSnapshot {
  groupKey: string;
  computedAt: Date;
  body: string;
}

/**
 * Stored snapshots and the store's clock at their read: the time that decides which are stale and
 * stamps their replacements, one clock for every process sharing the database.
 */
export interface SnapshotRead {
  snapshots: Map<string, StoredSnapshot>;
  /**
   * The store's clock at the read (as clock() tells it), or null when none of the keys has a
   * snapshot: PostgreSQL's comes on the rows read, so a read that finds none (every key missing,
   * stale at any time) carries no time, and only a new snapshot's stamp then needs clock().
   */
  readAt: Date | null;
}

/** One group's aggregates: one per instance that sent events in it. */
export interface GroupInstanceAggregates {
  groupKey: string;
  instances: InstanceAggregate[];
}

export interface PredictionStore {
  /**
   * The stored snapshots among `groupKeys`, with the store's clock read in the same round trip, so
   * a query that finds its snapshots fresh pays for no second one.
   */
  readSnapshots(groupKeys: readonly string[]): Promise<SnapshotRead>;
  /**
   * The store's clock, the one every process sharing the database shares: PostgreSQL's
   * (clock_timestamp()), the host's for SQLite (one file, one host). It times the snapshots.
   */
  clock(): Promise<Date>;
  /**
   * Stores each snapshot where none is stored or the stored one was computed at or before
   * `staleBefore`, in one transaction, then returns what is stored for those keys: when two
   * processes refresh the same group at once, the first write wins and both serve it.
   */
  saveSnapshots(snapshots: readonly StoredSnapshot[], staleBefore: Date): Promise<Map<string, StoredSnapshot>>;
  /**
   * Per group among `groupKeys` that holds events, every instance's aggregate (kept at ingest in
   * the events' transaction): a crowd snapshot's input, read as one consistent state.
   */
  readInstanceAggregates(groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate[]>>;
  /** One instance's own aggregates among `groupKeys` (groups it has no events in are absent): own history. */
  readOwnAggregates(instanceId: string, groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate>>;
  /**
   * Every group's aggregates, group by group in key order, read in chunks of rows that yield to
   * the event loop between them (SQLite reads on the main thread): what a refresh of every
   * group reads, without holding up ingest. A group is handed over whole.
   */
  readAllInstanceAggregates(): AsyncIterable<GroupInstanceAggregates>;
  /**
   * The server's noise key: the stored one, or `candidate` stored when there is none yet (the
   * first process to ask makes it; every process then reads the same key).
   */
  noiseKey(candidate: string): Promise<string>;
  /**
   * Takes the lease on the refresh of every group for `forMs` when no process holds it (the last
   * lease has run out or was given back): the lease as stored (its end, which names it for renew
   * and release), or null when another process holds it. One process at a time refreshes every
   * group, however many serve.
   *
   * The lease is timed by the store's own clock, the one every process sharing the database
   * shares: PostgreSQL's, or the host's for SQLite (one file, one host). `now` stands in for that
   * clock in tests; production leaves it out.
   */
  takeRefreshLease(forMs: number, now?: Date): Promise<Date | null>;
  /**
   * Extends the lease `lease` (as take or the last renew returned it) to `forMs` from now, while
   * no other process has taken it since: the renewed lease, or null when it is no longer this
   * one's (it ran out and another process took it). `now` as for takeRefreshLease.
   */
  renewRefreshLease(lease: Date, forMs: number, now?: Date): Promise<Date | null>;
  /** Gives the lease `lease` back (free at once, whatever the clock), if no other process has taken it since: a failed or stopped refresh. */
  releaseRefreshLease(lease: Date): Promise<void>;
}
