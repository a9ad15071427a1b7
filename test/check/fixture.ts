import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadProject, type ShipProject } from '../../scripts/ship/project';

export const REPO = path.resolve(__dirname, '..', '..');
const BASE = path.join(REPO, 'test', 'fixtures', 'ship', 'base');
const made: string[] = [];

/**
 * A copy of test/fixtures/ship/base in the temp folder with `changes` applied (a file's new text, or null to
 * delete it) and the kit's node_modules linked in, so ESLint, TypeScript and the typings resolve as in the repo.
 */
export function makeFixture(changes: Record<string, string | null> = {}): ShipProject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ship-fixture-'));
  fs.cpSync(BASE, dir, { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const [file, content] of Object.entries(changes)) {
    const target = path.join(dir, file);
    if (content === null) {
      fs.rmSync(target, { force: true });
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
  }
  made.push(dir);
  return loadProject(dir);
}

export function removeFixtures(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
