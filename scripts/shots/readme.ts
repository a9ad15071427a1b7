import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PAGE_STATES, shotName } from './states';

/**
 * The picture gallery of docs/pictures.md, made from the states table so that a new state shows up without editing
 * the page. (README.md and README.zh-CN.md show a few of these pictures; the gallery is the whole set.)
 */

export const GALLERY_PAGE = join(__dirname, '..', '..', 'docs', 'pictures.md');
const START = '<!-- pictures: made by npm run shots from scripts/shots/states.ts -->';
const END = '<!-- /pictures -->';
const PER_ROW = 4;

export function gallery(): string {
  const lines = [START];
  for (const page of [...new Set(PAGE_STATES.map((state) => state.page))]) {
    const cells = PAGE_STATES.filter((state) => state.page === page).map(
      (state) =>
        // Relative to docs/pictures.md, where the gallery lives.
        `<img src="screenshots/${shotName(state)}" width="180" alt="${page}: ${state.state}"><br>` +
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

/** The gallery as docs/pictures.md has it now, or undefined when the page has no gallery markers. */
export function pageGallery(text = readFileSync(GALLERY_PAGE, 'utf8')): string | undefined {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  return start < 0 || end < start ? undefined : text.slice(start, end + END.length);
}

export function updateGallery(): void {
  const text = readFileSync(GALLERY_PAGE, 'utf8');
  const current = pageGallery(text);
  if (current === undefined) throw new Error(`docs/pictures.md has no gallery markers (${START} ... ${END})`);
  writeFileSync(GALLERY_PAGE, text.replace(current, gallery()));
}
