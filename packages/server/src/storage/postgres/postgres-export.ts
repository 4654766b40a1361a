import type { PgQueryable } from "./postgres-driver.js";

/** Rows read per query: small enough to stream, large enough that round trips do not dominate. */
const PAGE_ROWS = 1000;

/**
 * The stored events of one instance as JSON texts, in event_id order, a page at a time by
 * keyset (event_id > the last one read): no cursor or open transaction, so a long export holds
 * no snapshot on the primary. Events ingested meanwhile may or may not appear.
 */
export async function* postgresInstanceEvents(db: PgQueryable, instanceId: string, since: Date): AsyncGenerator<string> {
  let after = "";
  for (;;) {
    const { rows } = await db.query(
      "SELECT event_id, payload::text AS payload FROM events WHERE instance_id = $1 AND received_at >= $2 AND event_id > $3 " +
        "ORDER BY event_id LIMIT " + String(PAGE_ROWS),
      [instanceId.toLowerCase(), since, after],
    );
    for (const row of rows) yield row["payload"] as string;
    if (rows.length < PAGE_ROWS) return;
    after = rows[rows.length - 1]?.["event_id"] as string;
  }
}
