import * as path from 'node:path';
import { runChecks } from '../../scripts/check';
import { loadProject } from '../../scripts/ship/project';
import { makeFixture, removeFixtures, REPO } from './fixture';

afterAll(removeFixtures);

describe('npm run check on whole projects', () => {
  // lint and typecheck take ~20 s on the whole repo: `npm run check` runs them in CI; here the fast three run.
  it('the real project passes templates, config and functions', async () => {
    const outcomes = await runChecks(loadProject(REPO), ['templates', 'config', 'functions']);
    expect(outcomes.map((o) => [o.name, o.problems])).toEqual([
      ['templates', []],
      ['config', []],
      ['functions', []],
    ]);
  });

  it('runs every check even when one fails, and names the failing one', async () => {
    const project = makeFixture({ 'miniprogram/pages/index/index.wxml': '<view>\n' });
    const outcomes = await runChecks(project, ['templates', 'config', 'functions']);
    expect(outcomes.map((o) => [o.name, o.problems.length])).toEqual([
      ['templates', 1],
      ['config', 0],
      ['functions', 0],
    ]);
    expect(path.isAbsolute(project.root)).toBe(true);
  });
});
