import type { TelemetryError } from "./errors.js";

/** Hands errors to the caller's onError; an onError that throws is contained, never the caller's problem. */
export type Report = (error: TelemetryError) => void;

/** Swallows the rejection of an async onError. */
const ignore = (): void => {};

export function makeReporter(onError: ((error: TelemetryError) => void) | undefined): Report {
  if (typeof onError !== "function") return () => {};
  return (error) => {
    try {
      // Typed as returning void, but an `async` handler fits that type too: if its promise
      // rejects, nobody else holds it, and Node would report an unhandled rejection (and, by
      // default since Node 15, end the process).
      const returned: unknown = onError(error);
      if (typeof (returned as PromiseLike<unknown> | null)?.then === "function") {
        (returned as PromiseLike<unknown>).then(undefined, ignore);
      }
    } catch {
      // A failing error handler must not break track() or a background send.
    }
  };
}
