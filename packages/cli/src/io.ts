/** What a command may touch of the outside world: given by main.ts, replaced by in-process tests. */
export interface Io {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of stdin as text. */
  readStdin(): Promise<string>;
  /** Whether stderr is a terminal: progress bars only then. */
  stderrIsTTY: boolean;
  now(): number;
}
