import { randomUUID } from "node:crypto";
import { SCHEMA_VERSION, type TaskCompletionEvent, type TaskCompletionFields } from "@mosaicstack/telemetry-protocol";

/** Completes the caller's fields into an event: id, timestamp, instance and schema version. */
export class EventBuilder {
  constructor(
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {}

  /**
   * @example
   * client.track(client.eventBuilder.build({ task_type: TaskType.TESTING, ... }));
   */
  build(fields: TaskCompletionFields): TaskCompletionEvent {
    // The SDK's four fields come last so that stray keys in `fields` cannot override them.
    return {
      ...fields,
      event_id: randomUUID(),
      instance_id: this.instanceId,
      schema_version: SCHEMA_VERSION,
      timestamp: new Date(this.now()).toISOString(),
    };
  }
}
