/** One finding of `npm run check` (or package/deploy): where it is, as precisely as the tool that found it knows. */
export interface Problem {
  /** Path relative to the project root, with forward slashes. */
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatProblem(problem: Problem): string {
  const where = [problem.file, problem.line, problem.line === undefined ? undefined : problem.column]
    .filter((part) => part !== undefined)
    .join(':');
  return `${where}: ${problem.message}`;
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** Line of the first occurrence of `needle` (1-based), or undefined. Used to point at a key or value in JSON. */
export function lineOf(text: string, needle: string, from = 0): number | undefined {
  const index = text.indexOf(needle, from);
  return index < 0 ? undefined : positionOf(text, index).line;
}

/** A failure that stops a command with a message for the user (missing credentials, a tool that failed). */
export class ShipError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'ShipError';
  }
}
