/**
 * A configuration value that cannot be used. The message names the variable and never repeats
 * a secret's value; `main` prints it and exits with code 1, without a stack.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}
