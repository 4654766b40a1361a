import type { TelemetryError } from "./errors.js";

/** Hands errors to the caller's onError; an onError that throws is contained, never the caller's problem. */
export type Report = (error: TelemetryError) => void;

export function makeReporter(onError: ((error: TelemetryError) => void) | undefined): Report {
  if (typeof onError !== "function") return () => {};
  return (error) => {
    try {
      onError(error);
    } catch {
      // A failing error handler must not break track() or a background send.
    }
  };
}
