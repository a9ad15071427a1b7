/**
 * README's picture gallery is made from the states table (scripts/shots/states.ts) by `npm run shots`: it must
 * show every state's picture, so a state added to the table without re-running the command fails here.
 */
import { existsSync } from 'fs';
import { join } from 'path';
import { gallery, readmeGallery } from '../../scripts/shots/readme';
import { PAGE_STATES, shotName } from '../../scripts/shots/states';

test('README shows the gallery of the states table', () => {
  expect(readmeGallery()).toBe(gallery());
});

test('every state has a committed picture', () => {
  const missing = PAGE_STATES.map(shotName).filter(
    (name) => !existsSync(join(__dirname, '..', '..', 'docs', 'screenshots', name)),
  );
  expect(missing).toEqual([]);
});
