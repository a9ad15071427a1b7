import { runChecks } from '../../scripts/check';
import { checkPrivacy } from '../../scripts/check/privacy';
import { PRIVACY_APIS, PRIVACY_INFO } from '../../scripts/check/privacy-apis';
import { loadProject } from '../../scripts/ship/project';
import { makeFixture, removeFixtures, REPO } from './fixture';

afterAll(removeFixtures);

/** A privacy.json declaring these kinds of information (by privacy_key), worded as the console words them. */
function declaring(...keys: Array<keyof typeof PRIVACY_INFO>): string {
  const declarations = keys.map((key) => ({
    info: PRIVACY_INFO[key].label,
    privacyKey: key,
    processing: PRIVACY_INFO[key].processing,
    purpose: '测试用途',
  }));
  return `${JSON.stringify({ declarations }, null, 2)}\n`;
}

const OFFICIAL = 'https://developers.weixin.qq.com/miniprogram/dev/';
const PAGE_TS = 'miniprogram/pages/index/index.ts';
const PAGE_WXML = 'miniprogram/pages/index/index.wxml';

describe('privacy check (privacy APIs in the mini-program against privacy.json)', () => {
  it('passes the real project: its pages use exactly what privacy.json declares', async () => {
    const [outcome] = await runChecks(loadProject(REPO), ['privacy']);
    expect(outcome?.problems).toEqual([]);
    expect(outcome?.summary).toMatch(
      /^3 declared \(用户信息（微信昵称、头像）、操作日志、手机号\), \d+ privacy API uses in 1 file$/,
    );
  });

  it('passes a project with no privacy API and no privacy.json', async () => {
    const result = await checkPrivacy(makeFixture());
    expect(result).toEqual({ problems: [], summary: 'no privacy.json, 0 privacy API uses in 0 files' });
  });

  it('fails on an API the code uses but privacy.json does not declare, at file:line:column', async () => {
    const project = makeFixture({
      'privacy.json': declaring('Clipboard'),
      [PAGE_TS]: `export const title = 'index';
// wx.chooseImage in a comment, and 'wx.chooseImage' in a string, are not uses.
const note = 'wx.chooseImage';
export function copy(text: string): void {
  wx.setClipboardData({ data: text + note });
}
export function where(): void {
  wx.getLocation({ type: 'gcj02' });
}
`,
    });
    const { problems } = await checkPrivacy(project);
    expect(problems).toEqual([
      {
        file: PAGE_TS,
        line: 8,
        column: 3,
        message:
          'wx.getLocation processes "位置信息" (收集你的位置信息), which privacy.json does not declare: WeChat disables it until the MP console\'s 用户隐私保护指引 declares it (errno 112)',
      },
    ]);
  });

  it('fails on a declaration no code uses, at its line in privacy.json', async () => {
    const project = makeFixture({
      'privacy.json': declaring('Clipboard', 'RunData'),
      [PAGE_TS]:
        "export const title = 'index';\nexport const copy = (data: string) => wx.setClipboardData({ data });\n",
    });
    const { problems } = await checkPrivacy(project);
    expect(problems).toEqual([
      {
        file: 'privacy.json',
        line: 10,
        message:
          'declares "微信运动数据", but the mini-program uses none of wx.getWeRunData, wx.authorize({ scope: \'scope.werun\' }): remove it (a guideline that declares more than the code uses is rejected at review)',
      },
    ]);
  });

  it('finds components used only in .wxml, data-bound values included, and ignores WXML comments', async () => {
    const project = makeFixture({
      'privacy.json': declaring('UserInfo'),
      [PAGE_WXML]: `<view class="page">
  <!-- <camera /> is commented out -->
  <button open-type="chooseAvatar" bindchooseavatar="onAvatar">头像</button>
  <input type="nickname" />
  <button open-type="{{agreed ? 'getPhoneNumber' : ''}}" bindgetphonenumber="onPhone">手机号</button>
  <camera
    device-position="back"
  />
</view>
`,
    });
    const { problems } = await checkPrivacy(project);
    expect(problems.map((p) => [p.file, p.line, p.message.slice(0, p.message.indexOf(','))])).toEqual([
      [PAGE_WXML, 5, '<button open-type="getPhoneNumber"> processes "手机号" (收集你的手机号)'],
      [PAGE_WXML, 6, '<camera> processes "摄像头" (访问你的摄像头)'],
    ]);
  });

  it('a component processing two kinds of information needs both declared', async () => {
    const project = makeFixture({
      'privacy.json': declaring('Camera'),
      [PAGE_WXML]: '<view>\n  <live-pusher url="rtmp://example/live" />\n</view>\n',
    });
    const { problems } = await checkPrivacy(project);
    expect(problems.map((p) => p.message.slice(0, p.message.indexOf(',')))).toEqual([
      '<live-pusher> processes "麦克风" (访问你的麦克风)',
    ]);
  });

  it("counts wx['api'], authorize scopes, and npm code built into miniprogram_npm", async () => {
    const project = makeFixture({
      'privacy.json': declaring('Clipboard', 'RunData', 'AlbumWriteOnly'),
      [PAGE_TS]: `export const title = 'index';
export const read = () => wx['getClipboardData']({});
export const steps = () => wx.authorize({ scope: 'scope.werun' });
`,
      'miniprogram/miniprogram_npm/poster/index.js':
        'exports.save = (filePath) => wx.saveImageToPhotosAlbum({ filePath });\n',
    });
    expect((await checkPrivacy(project)).problems).toEqual([]);
  });

  it('a missing privacy.json fails when the mini-program uses privacy APIs', async () => {
    const project = makeFixture({ [PAGE_WXML]: '<view>\n  <input type="nickname" />\n</view>\n' });
    expect((await checkPrivacy(project)).problems).toEqual([
      {
        file: 'privacy.json',
        message:
          'missing, but the mini-program uses <input type="nickname">: declare what they process (see docs/privacy.md)',
      },
    ]);
  });

  it("checks privacy.json's own entries: the console's wording, a purpose, no duplicates", async () => {
    const project = makeFixture({
      [PAGE_WXML]: '<view>\n  <input type="nickname" />\n</view>\n',
      'privacy.json': JSON.stringify(
        {
          declarations: [
            {
              info: '用户信息(微信昵称、头像)',
              privacyKey: 'UserInfo',
              processing: '收集你的昵称、头像',
              purpose: '资料',
            },
            { info: '用户信息（微信昵称、头像）', processing: '收集你的昵称、头像', purpose: '资料' },
            { info: '手机号码', processing: '收集你的手机号', purpose: '绑定' },
            { info: '剪切板', processing: '读取剪切板', purpose: ' ' },
            { info: '订单信息', processing: '收集你的订单信息', purpose: '售后' },
            { info: '操作日志', processing: '收集你的操作日志', purpose: '排查问题', selfCollected: true },
            { processing: '收集你的位置信息' },
          ],
        },
        null,
        2,
      ),
    });
    const { problems } = await checkPrivacy(project);
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [10, 'declares "用户信息（微信昵称、头像）" twice'],
      [
        15,
        expect.stringMatching(
          /^declarations\[2\]: "手机号码" is not a kind of information the console lists \(用户信息/,
        ),
      ],
      [20, '"剪切板": "processing" must be the guideline\'s wording, "读取你的剪切板"'],
      [20, '"剪切板": "purpose" must say what it is used for (the console\'s 用途, shown as 为了……)'],
      [25, '"订单信息" has no WeChat API to find: mark it "selfCollected": true if the mini-program collects it'],
      [undefined, 'declarations[6] needs "info": the console\'s name of the information, e.g. "手机号"'],
      [
        20,
        'declares "剪切板", but the mini-program uses none of wx.getClipboardData, wx.setClipboardData: remove it (a guideline that declares more than the code uses is rejected at review)',
      ],
    ]);
  });

  it('invalid JSON is reported where it breaks', async () => {
    const { problems } = await checkPrivacy(makeFixture({ 'privacy.json': '{ "declarations": [ }' }));
    expect(problems).toEqual([expect.objectContaining({ file: 'privacy.json', line: 1 })]);
  });

  it('keeps one table: every API names a documented kind of information and an official source', () => {
    for (const api of PRIVACY_APIS) {
      expect({ api: api.api, official: api.source.startsWith(OFFICIAL) }).toEqual({ api: api.api, official: true });
      for (const key of api.info) expect(PRIVACY_INFO[key]).toBeDefined();
    }
    const names = PRIVACY_APIS.map((api) => api.api);
    expect(names).toEqual(
      expect.arrayContaining([
        '<button open-type="chooseAvatar">',
        '<input type="nickname">',
        '<button open-type="getPhoneNumber">',
        '<button open-type="getRealtimePhoneNumber">',
        'wx.getLocation',
        'wx.chooseLocation',
        'wx.chooseMedia',
        'wx.chooseImage',
        'wx.saveImageToPhotosAlbum',
        'wx.getClipboardData',
        'wx.setClipboardData',
        'wx.getWeRunData',
        'wx.startRecord',
        'wx.getRecorderManager',
        '<camera>',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });
});
