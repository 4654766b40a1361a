import type { TelemetryError } from "@mosaicstack/telemetry-client";

/** Collects the SDK's reports during a command, to say in one line what went wrong. */
export class ErrorLog {
  readonly errors: TelemetryError[] = [];
  readonly onError = (error: TelemetryError): void => {
    this.errors.push(error);
  };

  /** The first problem of a kind worth telling (a network failure, a refused key), or null. */
  first(): string | null {
    const error = this.errors.find((e) => e.code !== "option_clamped");
    return error === undefined ? null : error.message;
  }
}
