import * as fs from 'node:fs';
import { positionOf, type Problem } from './problems';

export type JsonResult = { ok: true; value: unknown; text: string } | { ok: false; problem: Problem; text: string };

/**
 * JSON.parse with the error turned into file:line:column. V8 reports "at position N" (and, in newer releases,
 * "(line L column C)"); an unexpected end points at the last line.
 */
export function parseJson(text: string, file: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown, text };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const message = raw.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    const position = /at position (\d+)/.exec(raw);
    const where = position ? positionOf(text, Number(position[1])) : positionOf(text, text.trimEnd().length);
    return {
      ok: false,
      text,
      problem: { file, line: where.line, column: where.column, message: `invalid JSON: ${message}` },
    };
  }
}

export function readJson(absolutePath: string, file: string): JsonResult {
  return parseJson(fs.readFileSync(absolutePath, 'utf8'), file);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
