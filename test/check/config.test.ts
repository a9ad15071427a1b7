import { checkConfig } from '../../scripts/check/config';
import { makeFixture, removeFixtures } from './fixture';

afterAll(removeFixtures);

describe('config check (app.json, page and component json)', () => {
  it('passes the fixture as it is', async () => {
    const result = await checkConfig(makeFixture());
    expect(result.problems).toEqual([]);
    expect(result.summary).toBe('app.json (1 pages), 2 page/component json, 1 components used');
  });

  it('fails when a listed page is missing one of its four files', async () => {
    const { problems } = await checkConfig(makeFixture({ 'miniprogram/pages/index/index.wxss': null }));
    expect(problems).toEqual([
      {
        file: 'miniprogram/app.json',
        line: 2,
        message: 'lists page "pages/index/index", but it has no miniprogram/pages/index/index.wxss',
      },
    ]);
  });

  it('fails when a page directory is not listed in app.json, and when a listed page does not exist', async () => {
    const project = makeFixture({
      'miniprogram/app.json': '{\n  "pages": ["pages/index/index", "pages/gone/gone"]\n}\n',
      'miniprogram/pages/extra/extra.wxml': '<view />\n',
    });
    const { problems } = await checkConfig(project);
    expect(problems.map((p) => `${p.file}:${p.line ?? ''} ${p.message}`)).toEqual([
      'miniprogram/app.json:2 lists page "pages/gone/gone", but it has no miniprogram/pages/gone/gone.json, miniprogram/pages/gone/gone.wxml, miniprogram/pages/gone/gone.wxss, miniprogram/pages/gone/gone.ts (or .js)',
      'miniprogram/app.json:2 does not list the page directory miniprogram/pages/extra (add "pages/extra/extra" to pages, or move it out of pages/)',
    ]);
  });

  it('reports invalid JSON in a page .json at its line', async () => {
    const project = makeFixture({ 'miniprogram/pages/index/index.json': '{\n  "component": true,\n}\n' });
    const { problems } = await checkConfig(project);
    expect(problems).toEqual([
      {
        file: 'miniprogram/pages/index/index.json',
        line: 3,
        column: 1,
        message: 'invalid JSON: Expected double-quoted property name',
      },
    ]);
  });

  it('fails when a usingComponents path does not resolve, at the line of the tag', async () => {
    const project = makeFixture({
      'miniprogram/pages/index/index.json':
        '{\n  "component": true,\n  "usingComponents": {\n    "hello-card": "/components/card/card",\n    "van-button": "@vant/weapp/button/index"\n  }\n}\n',
    });
    const { problems } = await checkConfig(project);
    expect(problems).toEqual([
      {
        file: 'miniprogram/pages/index/index.json',
        line: 5,
        message:
          'usingComponents "van-button": "@vant/weapp/button/index" does not resolve to a component (.json + .wxml + .ts/.js)',
      },
    ]);
  });

  it('fails when a used component does not declare "component": true', async () => {
    const { problems } = await checkConfig(makeFixture({ 'miniprogram/components/card/card.json': '{}\n' }));
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'miniprogram/components/card/card.json',
        message: 'is used as a component (usingComponents) but does not declare "component": true',
      }),
    ]);
  });
});
