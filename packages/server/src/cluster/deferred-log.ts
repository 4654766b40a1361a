interface Log {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * A log for parts that start before the app's logger exists (Redis connects before the app is
 * built, so the app can be handed the connected clients): lines are held until `attach`, then
 * written to the attached logger in order, and later lines go straight to it.
 */
export class DeferredLog implements Log {
  #target: Log | null = null;
  readonly #held: { level: "info" | "warn"; fields: object; message: string }[] = [];

  attach(target: Log): void {
    this.#target = target;
    for (const line of this.#held.splice(0)) target[line.level](line.fields, line.message);
  }

  info(fields: object, message: string): void {
    if (this.#target) this.#target.info(fields, message);
    else this.#held.push({ level: "info", fields, message });
  }

  warn(fields: object, message: string): void {
    if (this.#target) this.#target.warn(fields, message);
    else this.#held.push({ level: "warn", fields, message });
  }
}
