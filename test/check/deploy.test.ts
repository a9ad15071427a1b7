import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDeploy } from '../../scripts/deploy';
import { ShipError } from '../../scripts/ship/problems';
import { makeFixture, removeFixtures } from './fixture';

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
    const project = makeFixture();
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
});
