/**
 * The picture gallery (docs/pictures.md) is made from the states table (scripts/shots/states.ts) by `npm run shots`:
 * it must show every state's picture, so a state added to the table without re-running the command fails here.
 * README.md and README.zh-CN.md show a few of the same pictures (test/unit/docs.test.ts checks that they exist).
 */
import { existsSync } from 'fs';
import { join } from 'path';
import { gallery, pageGallery } from '../../scripts/shots/readme';
import { PAGE_STATES, shotName } from '../../scripts/shots/states';

test('docs/pictures.md shows the gallery of the states table', () => {
  expect(pageGallery()).toBe(gallery());
});

test('every state has a committed picture', () => {
  const missing = PAGE_STATES.map(shotName).filter(
    (name) => !existsSync(join(__dirname, '..', '..', 'docs', 'screenshots', name)),
  );
  expect(missing).toEqual([]);
});
