import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../scripts/args';
import { runDeploy, TRIGGER_CREATED } from '../../scripts/deploy';
import { ShipError } from '../../scripts/ship/problems';
import { makeFakeCi, type FakeCi } from './fake-ci';
import { makeFixture, removeFixtures, REPO } from './fixture';

// A throwaway key: what matters is that no line of output ever contains it.
const FAKE_KEY =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEfakefakefakeTHISMUSTNEVERBEPRINTED\n-----END RSA PRIVATE KEY-----\n';

const savedToolsDir = process.env['SHIP_TOOLS_DIR'];
let emptyTools: string;
beforeAll(() => {
  // No miniprogram-ci: the dry run must work without the 276 MB tools package.
  emptyTools = fs.mkdtempSync(path.join(os.tmpdir(), 'ship-no-tools-'));
  process.env['SHIP_TOOLS_DIR'] = emptyTools;
});
afterAll(() => {
  if (savedToolsDir === undefined) delete process.env['SHIP_TOOLS_DIR'];
  else process.env['SHIP_TOOLS_DIR'] = savedToolsDir;
  fs.rmSync(emptyTools, { recursive: true, force: true });
  removeFixtures();
});

const APPID = 'wx0123456789abcdef';
const BASE_CONFIG = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'ship', 'base', 'project.config.json'), 'utf8');
/** The fixture with its appid set and a second function that declares a timer trigger: nothing left to replace. */
const READY: Record<string, string> = {
  'project.config.json': BASE_CONFIG.replace('wxd0000000000000', APPID),
  'cloudfunctions/tick/src/index.ts': "export const main = async (): Promise<string> => 'tick';\n",
  'cloudfunctions/tick/package.json': '{ "name": "tick", "private": true, "main": "index.js" }\n',
  'cloudfunctions/tick/config.json':
    '{\n  "permissions": { "openapi": [] },\n  "triggers": [{ "name": "nightly", "type": "timer", "config": "0 0 3 * * * *" }]\n}\n',
};
/** What the kit ships with and a real deploy must refuse: its sample texts and its placeholder ids. */
const PLACEHOLDERS: Record<string, string> = {
  'project.config.json': BASE_CONFIG,
  'miniprogram/config.ts': "export const CLOUD_ENV_ID = 'your-env-id';\n",
  'miniprogram/pages/index/index.wxml':
    '<view>\n  <text>【示例文本，请替换】</text>\n  <text>这里是《用户协议》的占位文本。</text>\n</view>\n',
};
const CREDENTIALS = { WECHAT_APPID: APPID, WECHAT_CLOUD_ENV: 'prod-1a2b3c', WECHAT_PRIVATE_KEY: FAKE_KEY };

async function deploy(root: string, args: string[], environment: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const code = await runDeploy([...args, '--root', root], environment, (line) => lines.push(line));
  return { code, lines, text: lines.join('\n') };
}

describe('npm run deploy', () => {
  it('--dry-run lists exactly what would upload, without credentials or miniprogram-ci', async () => {
    const project = makeFixture();
    const { code, lines, text } = await deploy(project.root, ['--dry-run', '--version', '1.2.3']);
    expect(code).toBe(0);
    expect(lines[0]).toBe('npm run deploy --dry-run: nothing is uploaded');
    expect(text).toContain('credentials: a real deploy would stop here, missing:');
    expect(text).toMatch(/- appid: set WECHAT_APPID or "appid" in deploy\.local\.json/);
    expect(text).toMatch(/- env: set WECHAT_CLOUD_ENV or "env" in deploy\.local\.json/);
    expect(text).toMatch(/- upload key: set WECHAT_PRIVATE_KEY_PATH/);
    // The cloud function: the staged folder and its three files, and what was left out of it.
    expect(text).toMatch(/ {2}hello: [\d.]+ (B|KB) in 3 files, folder dist\/package\/cloudfunctions\/hello\//);
    expect(text).toContain('    left out: src/index.ts (TypeScript source)');
    const staged = path.join(project.root, 'dist', 'package', 'cloudfunctions', 'hello');
    expect(fs.readdirSync(staged).sort()).toEqual(['config.json', 'index.js', 'package.json']);
    expect(fs.readFileSync(path.join(staged, 'index.js'), 'utf8')).toContain('msgSecCheck');
    for (const file of ['config.json', 'index.js', 'package.json'])
      expect(text).toMatch(new RegExp(`  ${file.replace('.', '\\.')}$`, 'm'));
    // The mini-program: without miniprogram-ci, the sources it would compile.
    expect(text).toContain(
      '2. mini-program, uploaded as version 1.2.3 ("npm run deploy 1.2.3"), miniprogram-ci is not installed',
    );
    expect(text).toMatch(/ {2}app\.ts -> app\.js$/m);
    expect(text).toMatch(/ {2}pages\/index\/index\.wxml$/m);
    expect(text).toContain('  note: not uploaded: tsconfig.json (compiler configuration)');
    expect(text).toContain('  should not ship: none');
  });

  it('stages a function that uses wx-server-sdk as one complete folder: nothing for the cloud to install', async () => {
    const project = makeFixture({
      'cloudfunctions/hello/src/index.ts':
        "import * as cloud from 'wx-server-sdk';\n\nexport async function main(event: { content: string }): Promise<unknown> {\n  return cloud.openapi.security.msgSecCheck({ content: event.content });\n}\n",
    });
    const { code, text } = await deploy(project.root, ['--dry-run']);
    expect(code).toBe(0);
    expect(text).toContain('wx-server-sdk is bundled in: no npm install in the cloud');
    const staged = path.join(project.root, 'dist', 'package', 'cloudfunctions', 'hello');
    expect(fs.readdirSync(staged).sort()).toEqual(['config.json', 'index.js', 'package.json', 'sdk-deferred.js']);
    expect(JSON.parse(fs.readFileSync(path.join(staged, 'package.json'), 'utf8'))).not.toHaveProperty('dependencies');
    // The staged folder runs on its own: no node_modules anywhere above it to fall back on.
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'staged-alone-'));
    try {
      fs.cpSync(staged, alone, { recursive: true });
      const loaded = (await import(path.join(alone, 'index.js'))) as { main?: unknown };
      expect(typeof loaded.main).toBe('function');
      const side = (await import(path.join(alone, 'sdk-deferred.js'))) as Record<string, unknown>;
      expect(Object.keys(side)).toEqual(expect.arrayContaining(['form-data', 'mime-db']));
      expect(typeof side['form-data']).toBe('function');
    } finally {
      fs.rmSync(alone, { recursive: true, force: true });
    }
  });

  it('a real deploy without credentials fails with what is missing and uploads nothing', async () => {
    const project = makeFixture(READY);
    const failure = deploy(project.root, []);
    await expect(failure).rejects.toThrow(ShipError);
    await expect(failure).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(
        /^cannot deploy, missing:\n {2}- appid: .*\n {2}- env: .*\n {2}- upload key: .*\nSee docs\/SHIPPING\.md \("Deploy"\)\. Nothing was uploaded\.$/,
      ) as unknown,
    });
    expect(fs.existsSync(path.join(project.root, 'dist'))).toBe(false);
  });

  it('rejects the placeholder appid and a key that is not a PEM key', async () => {
    const project = makeFixture({ 'keys/upload.key': 'not a key\n' });
    const failure = deploy(project.root, [], {
      WECHAT_APPID: 'wxd0000000000000',
      WECHAT_CLOUD_ENV: 'prod-1a2b3c',
      WECHAT_PRIVATE_KEY_PATH: 'keys/upload.key',
    });
    await expect(failure).rejects.toThrow(/appid: "wxd0000000000000" \(WECHAT_APPID\) is not a mini-program AppID/);
    await expect(failure).rejects.toThrow(
      /upload key from WECHAT_PRIVATE_KEY_PATH \(keys\/upload\.key\) is not a PEM private key/,
    );
  });

  it('takes credentials from the environment and deploy.local.json, and never prints the key', async () => {
    const project = makeFixture({
      'private.wx0123456789abcdef.key': FAKE_KEY,
      'deploy.local.json': '{ "env": "prod-1a2b3c", "privateKeyPath": "private.wx0123456789abcdef.key" }\n',
    });
    const { code, text } = await deploy(project.root, ['--dry-run'], { WECHAT_APPID: 'wx0123456789abcdef' });
    expect(code).toBe(0);
    expect(text).toContain(
      '  appid wx0123456789abcdef (from WECHAT_APPID), env prod-1a2b3c (from deploy.local.json), upload key from deploy.local.json (private.wx0123456789abcdef.key), robot 1',
    );
    expect(text).not.toContain('THISMUSTNEVERBEPRINTED');
    expect(text).not.toContain('BEGIN RSA');
  });

  it('refuses to ship a secret: a dry run that would upload one fails', async () => {
    const project = makeFixture({ 'miniprogram/.env': 'WECHAT_APPSECRET=0123456789abcdef0123456789abcdef\n' });
    const { code, text } = await deploy(project.root, ['--dry-run']);
    expect(code).toBe(1);
    expect(text).toContain('.env   <- should not ship: secret (.env)');
    expect(text).toContain('refusing to deploy:\n  - .env should not ship: secret (.env)');
  });
  it('--dry-run lists every function, the timer trigger each declares, and the placeholders as warnings', async () => {
    const project = makeFixture({ ...READY, ...PLACEHOLDERS });
    const { code, text } = await deploy(project.root, ['--dry-run']);
    expect(code).toBe(0);
    expect(text).toContain(
      '1. cloud functions: all 2 of cloudfunctions/, each uploaded whole with cloud.uploadFunction (wx-server-sdk is bundled in: no npm install in the cloud), then the timer trigger its config.json declares, if any, with cloud.createTimeTrigger:',
    );
    expect(text).toMatch(/^ {2}hello: .* folder dist\/package\/cloudfunctions\/hello\/$/m);
    expect(text).toMatch(
      /^ {2}tick: .* folder dist\/package\/cloudfunctions\/tick\/\n(?: {4}.*\n)* {4}timer trigger nightly: "0 0 3 \* \* \* \*" \(seconds minutes hours day month weekday year\)$/m,
    );
    expect(text).toContain(
      [
        'placeholders: 4 left; a real npm run deploy refuses to upload until each is replaced:',
        '  warning: project.config.json:5: appid "wxd0000000000000": the placeholder AppID: put yours (mp.weixin.qq.com > 开发管理 > 开发设置)',
        '  warning: miniprogram/config.ts:1: "your-env-id": the placeholder CloudBase env id: put yours (云开发控制台 > 设置 > 环境 ID)',
        '  warning: miniprogram/pages/index/index.wxml:2: "【示例文本，请替换】": marks the kit\'s sample text: write your own',
        '  warning: miniprogram/pages/index/index.wxml:3: "占位文本": the kit\'s sample document text: write your own',
      ].join('\n'),
    );
    expect((await deploy(makeFixture(READY).root, ['--dry-run'])).text).toContain('placeholders: none left');
  });

  it('refuses a wrong flag with one line naming it, before anything else', async () => {
    const project = makeFixture(READY);
    await expect(deploy(project.root, ['--dry-run', '--version'])).rejects.toThrow(
      new UsageError(
        'npm run deploy: --version needs a value (usage: npm run deploy -- [--dry-run] [--version 1.2.3] [--desc "text"] [--root DIR])',
      ),
    );
    await expect(deploy(project.root, ['--dryrun'])).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^npm run deploy: unknown option --dryrun \(usage: /) as unknown,
    });
    await expect(deploy(project.root, ['--dry-run=yes'])).rejects.toThrow(/^npm run deploy: --dry-run takes no value/);
    expect(fs.existsSync(path.join(project.root, 'dist'))).toBe(false);
  });

  it('stops on a timer trigger CloudBase would refuse', async () => {
    const project = makeFixture({
      ...READY,
      'cloudfunctions/tick/config.json':
        '{ "triggers": [{ "name": "nightly", "type": "timer", "config": "0 3 * * *" }] }\n',
    });
    await expect(deploy(project.root, ['--dry-run'])).rejects.toThrow(
      new ShipError(
        'cloudfunctions/tick/config.json:1: triggers[0].config must be a 7-field cron (seconds minutes hours day month weekday year)',
      ),
    );
  });

  describe('a real deploy (miniprogram-ci replaced by a recording fake)', () => {
    let fake: FakeCi;
    beforeEach(() => {
      fake = makeFakeCi();
      process.env['SHIP_TOOLS_DIR'] = fake.dir;
      process.env['FAKE_CI_LOG'] = fake.log;
    });
    afterEach(() => {
      process.env['SHIP_TOOLS_DIR'] = emptyTools;
      delete process.env['FAKE_CI_LOG'];
      delete process.env['FAKE_CI_TRIGGER_ANSWER'];
      fake.remove();
    });

    it('refuses to upload anything while a placeholder remains, naming each one and its file', async () => {
      const project = makeFixture({ ...READY, ...PLACEHOLDERS });
      const failure = deploy(project.root, [], CREDENTIALS);
      await expect(failure).rejects.toMatchObject({
        exitCode: 2,
        message: [
          "cannot deploy, the kit's placeholders are still in place (replace each one):",
          '  - project.config.json:5: appid "wxd0000000000000": the placeholder AppID: put yours (mp.weixin.qq.com > 开发管理 > 开发设置)',
          '  - miniprogram/config.ts:1: "your-env-id": the placeholder CloudBase env id: put yours (云开发控制台 > 设置 > 环境 ID)',
          '  - miniprogram/pages/index/index.wxml:2: "【示例文本，请替换】": marks the kit\'s sample text: write your own',
          '  - miniprogram/pages/index/index.wxml:3: "占位文本": the kit\'s sample document text: write your own',
          'See docs/SHIPPING.md ("Deploy"). Nothing was uploaded.',
        ].join('\n'),
      });
      expect(fake.calls()).toEqual([]);
      expect(fs.existsSync(path.join(project.root, 'dist'))).toBe(false);
    });

    it('one placeholder is enough to refuse', async () => {
      const project = makeFixture({
        ...READY,
        'miniprogram/config.ts': "export const CLOUD_ENV_ID = 'your-env-id';\n",
      });
      await expect(deploy(project.root, [], CREDENTIALS)).rejects.toThrow(
        /placeholders are still in place \(replace each one\):\n {2}- miniprogram\/config\.ts:1: "your-env-id"[^\n]*\nSee docs/,
      );
      expect(fake.calls()).toEqual([]);
    });

    it('uploads every function, creates each declared timer trigger after its function, then the mini-program', async () => {
      const project = makeFixture(READY);
      const { code, lines } = await deploy(project.root, ['--version', '1.2.3'], CREDENTIALS);
      expect(fake.calls()).toEqual([
        {
          call: 'uploadFunction',
          env: 'prod-1a2b3c',
          name: 'hello',
          files: ['config.json', 'index.js', 'package.json'],
        },
        {
          call: 'uploadFunction',
          env: 'prod-1a2b3c',
          name: 'tick',
          files: ['config.json', 'index.js', 'package.json'],
        },
        {
          call: 'createTimeTrigger',
          envId: 'prod-1a2b3c',
          functionName: 'tick',
          triggersConfig: [{ name: 'nightly', type: 'timer', config: '0 0 3 * * * *' }],
        },
        { call: 'upload', appid: APPID, version: '1.2.3', desc: 'npm run deploy 1.2.3' },
      ]);
      expect(lines).toContain('  tick: timer trigger nightly ("0 0 3 * * * *") created');
      expect(lines.at(-1)).toMatch(/^npm run deploy: done\./);
      expect(code).toBe(0);
    });

    it('a trigger miniprogram-ci refuses (it answers with a text, not an error) fails the deploy, after the rest', async () => {
      process.env['FAKE_CI_TRIGGER_ANSWER'] = '请检查传入的 triggersConfig 是否符合格式';
      expect(TRIGGER_CREATED).toBe('创建定时触发器成功');
      const project = makeFixture(READY);
      const { code, text } = await deploy(project.root, [], CREDENTIALS);
      expect(fake.calls().map((call) => call['call'])).toEqual([
        'uploadFunction',
        'uploadFunction',
        'createTimeTrigger',
        'upload',
      ]);
      expect(text).toContain(
        '  tick: timer trigger nightly NOT created: miniprogram-ci answered "请检查传入的 triggersConfig 是否符合格式"',
      );
      expect(text).toContain(
        'npm run deploy: uploaded, but these timer triggers were not created:\n  - tick: timer trigger nightly ("0 0 3 * * * *"): 请检查传入的 triggersConfig 是否符合格式',
      );
      expect(code).toBe(1);
    });
  });
});
