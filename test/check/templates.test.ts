import { checkTemplates } from '../../scripts/check/templates';
import { makeFixture, removeFixtures } from './fixture';

afterAll(removeFixtures);

describe('templates check (wcc/wcsc)', () => {
  it('passes the fixture as it is', async () => {
    const result = await checkTemplates(makeFixture());
    expect(result.problems).toEqual([]);
    expect(result.summary).toBe('2 wxml, 3 wxss through wcc/wcsc');
  });

  it('names the file and line of a WXML syntax error, and of every other broken file in the same run', async () => {
    const project = makeFixture({
      'miniprogram/pages/index/index.wxml': '<view class="page">\n  <text>hi</text>\n  <view>\n</view>\n',
      'miniprogram/components/card/card.wxml': '<view>\n  <text>{{title</text>\n</view>\n',
    });
    const { problems } = await checkTemplates(project);
    expect(problems).toEqual([
      expect.objectContaining({ file: 'miniprogram/components/card/card.wxml', line: 4, message: 'unexpected end' }),
      expect.objectContaining({
        file: 'miniprogram/pages/index/index.wxml',
        line: 1,
        message: 'end tag missing, near `view`',
      }),
    ]);
  });

  it('names the file and line of a WXSS syntax error', async () => {
    const project = makeFixture({ 'miniprogram/pages/index/index.wxss': '.page {\n  padding: 24rpx;\n}\n}\n' });
    const { problems } = await checkTemplates(project);
    expect(problems).toEqual([
      { file: 'miniprogram/pages/index/index.wxss', line: 4, column: 1, message: 'error at token `}`' },
    ]);
  });

  it('reports an @import of a missing WXSS file at its line', async () => {
    const project = makeFixture({ 'miniprogram/app.wxss': 'page {\n  color: #000;\n}\n@import "theme.wxss";\n' });
    const { problems } = await checkTemplates(project);
    expect(problems).toEqual([
      { file: 'miniprogram/app.wxss', line: 4, message: '@import "theme.wxss": file not found' },
    ]);
  });

  it('reports an <import> whose template does not exist (wcc itself lets it through)', async () => {
    const project = makeFixture({
      'miniprogram/pages/index/index.wxml': '<import src="../../templates/row.wxml" />\n<view class="page"></view>\n',
    });
    const { problems } = await checkTemplates(project);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'miniprogram/pages/index/index.wxml',
        line: 1,
        message: '<import src="../../templates/row.wxml">: miniprogram/templates/row.wxml does not exist',
      }),
    ]);
  });
});
