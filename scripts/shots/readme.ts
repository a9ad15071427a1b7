import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PAGE_STATES, shotName } from './states';

/** README's picture gallery, made from the states table so that a new state shows up without editing README. */

export const README = join(__dirname, '..', '..', 'README.md');
const START = '<!-- pictures: made by npm run shots from scripts/shots/states.ts -->';
const END = '<!-- /pictures -->';
const PER_ROW = 4;

export function gallery(): string {
  const lines = [START];
  for (const page of [...new Set(PAGE_STATES.map((state) => state.page))]) {
    const cells = PAGE_STATES.filter((state) => state.page === page).map(
      (state) =>
        `<img src="docs/screenshots/${shotName(state)}" width="180" alt="${page}: ${state.state}"><br>` +
        `<sub>${state.caption}</sub>`,
    );
    lines.push('', `**${page}**`, '', `|${' |'.repeat(PER_ROW)}`, `|${' --- |'.repeat(PER_ROW)}`);
    for (let i = 0; i < cells.length; i += PER_ROW) {
      const row = [...cells.slice(i, i + PER_ROW), ...Array<string>(PER_ROW).fill('')].slice(0, PER_ROW);
      lines.push(`| ${row.join(' | ')} |`);
    }
  }
  lines.push('', END);
  return lines.join('\n');
}

/** The gallery as README has it now, or undefined when README has no gallery markers. */
export function readmeGallery(text = readFileSync(README, 'utf8')): string | undefined {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  return start < 0 || end < start ? undefined : text.slice(start, end + END.length);
}

export function updateReadme(): void {
  const text = readFileSync(README, 'utf8');
  const current = readmeGallery(text);
  if (current === undefined) throw new Error(`README.md has no gallery markers (${START} ... ${END})`);
  writeFileSync(README, text.replace(current, gallery()));
}
