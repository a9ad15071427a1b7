/**
 * devcloud used from OUTSIDE this repository, as another mini-program project uses it: a temporary project with its
 * own cloudfunctions/<fn>/index.js on wx-server-sdk installs the package (`npm install --save-dev <folder>`,
 * offline: npm links the folder) and runs the installed bin, then talks to it through the control API only.
 * The last test runs the bin from what `npm pack` ships, to catch a file the package forgets to publish.
 */
import { execFileSync, spawn } from 'child_process';
import { builtinModules, createRequire } from 'module';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'fs';
import { writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, relative } from 'path';
import { controlRequest } from '../phone/http';
import { createDevice } from '../phone/device';
import { openidFor, DEFAULT_APPID } from '../wechat/identity';
import type { InvocationReport, WxError } from '../protocol';

const PACKAGE = join(__dirname, '..');
const resolveModule = createRequire(__filename).resolve;
/** The project's copy of the SDK: each test function gets it in its own node_modules, as `npm install` there would. */
const SDK = dirname(resolveModule('wx-server-sdk/package.json'));

/** A function as any CloudBase project writes it: add a note for the caller, list them; or read a stored file. */
const NOTES_FUNCTION = `
const cloud = require('wx-server-sdk');
cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
const db = cloud.database();
exports.main = async (event) => {
  if (event.fileID) {
    const { fileContent } = await cloud.downloadFile({ fileID: event.fileID });
    return fileContent.toString('utf8');
  }
  const { OPENID } = cloud.getWXContext();
  if (event.text) await db.collection('notes').add({ data: { text: event.text, owner: OPENID, at: new Date() } });
  const { data } = await db.collection('notes').orderBy('text', 'asc').get();
  return data.map((note) => ({ text: note.text, owner: note.owner || null, atIsDate: note.at instanceof Date }));
};
`;

let root: string;
let project: string;
beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'devcloud-outside-')));
  project = join(root, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'someone-elses-miniprogram', private: true }));
  npm(['install', '--save-dev', PACKAGE, '--offline'], project);
  addFunction(join(project, 'cloudfunctions'), 'notes');
  declareNotes(project);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** npm as a developer runs it: without the npm_* variables of the `npm test` that may be running this file. */
function npm(args: string[], cwd: string): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env, encoding: 'utf8' });
}

/** The project's security rule for its collection: devcloud creates the collections a rules folder names. */
function declareNotes(dir: string): void {
  mkdirSync(join(dir, 'database-rules'), { recursive: true });
  writeFileSync(
    join(dir, 'database-rules', 'notes.json'),
    JSON.stringify({ read: true, write: 'doc.owner == auth.openid' }),
  );
}

function addFunction(functionsDir: string, name: string): void {
  mkdirSync(join(functionsDir, name, 'node_modules'), { recursive: true });
  writeFileSync(join(functionsDir, name, 'index.js'), NOTES_FUNCTION);
  symlinkSync(SDK, join(functionsDir, name, 'node_modules', 'wx-server-sdk'), 'dir');
}

interface Running {
  ready: { url: string; appid: string; envId: string };
  /** Sends the signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a devcloud bin in `cwd`; resolves once it printed its ready line, or with how it ended if it ended first. */
function run(
  cwd: string,
  args: string[],
  options: { bin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Running | Finished> {
  const bin = options.bin ?? join(project, 'node_modules', '.bin', 'devcloud');
  const child = spawn(bin, args, { cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      if (!stdout.includes('\n')) return;
      try {
        const ready = JSON.parse(stdout.split('\n')[0]!) as Running['ready'];
        resolve({
          ready,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
          stdout: () => stdout,
          stderr: () => stderr,
        });
      } catch (error) {
        child.kill('SIGKILL');
        reject(new Error(`not a JSON ready line: ${stdout} (${String(error)})`));
      }
    });
    void exited.then((code) => resolve({ code, stdout, stderr }));
  });
}

async function serving(
  cwd: string,
  args: string[],
  options?: { bin?: string; env?: NodeJS.ProcessEnv },
): Promise<Running> {
  const outcome = await run(cwd, args, options);
  if (!('ready' in outcome)) throw new Error(`devcloud exited with ${String(outcome.code)}: ${outcome.stderr}`);
  return outcome;
}

async function finished(cwd: string, args: string[]): Promise<Finished> {
  const outcome = await run(cwd, args);
  if ('ready' in outcome) {
    await outcome.stop('SIGKILL');
    throw new Error(`devcloud started with ${args.join(' ')}`);
  }
  return outcome;
}

function invoke(url: string, name: string, event: unknown, user?: string): Promise<InvocationReport> {
  return controlRequest(url, 'POST', '/functions/invoke', { name, event, ...(user ? { user } : {}) });
}

const documents = (url: string, collection: string) =>
  controlRequest<Array<Record<string, unknown>>>(url, 'GET', `/db/${collection}`);

/** The console's page and script, as a browser gets them: built from the installed package's sources. */
async function consolePage(url: string): Promise<{ html: string; script: string }> {
  const text = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    expect(response.status).toBe(200);
    return response.text();
  };
  return { html: await text('/console'), script: await text('/console/app.js') };
}

test('npm install <folder> links the package and its bin into the project', () => {
  const bin = join(project, 'node_modules', '.bin', 'devcloud');
  expect(realpathSync(bin)).toBe(realpathSync(join(PACKAGE, 'bin', 'devcloud.js')));
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(manifest.devDependencies).toEqual({ devcloud: expect.stringMatching(/^file:/) as string });
});

test("--functions --memory --json: one JSON line, the project's function runs on the real SDK, uploads work", async () => {
  const cloud = await serving(project, ['--functions', 'cloudfunctions', '--memory', '--json', '--port', '0']);
  try {
    expect(Object.keys(cloud.ready).sort()).toEqual(['appid', 'envId', 'url']);
    expect(cloud.ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { url } = cloud.ready;
    const added = await invoke(url, 'notes', { text: 'hello' }, 'alice');
    expect(added.error).toBeUndefined();
    const alice = openidFor(DEFAULT_APPID, 'alice');
    expect(added.result).toEqual([{ text: 'hello', owner: alice, atIsDate: true }]);
    expect(await documents(url, 'notes')).toEqual([
      {
        _id: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
        text: 'hello',
        owner: alice,
        at: expect.any(String) as string,
      },
    ]);
    // As the phone's wx.cloud.uploadFile would: the function then reads the file through the SDK.
    const { fileID } = await controlRequest<{ fileID: string }>(url, 'POST', '/storage/upload', {
      user: 'alice',
      cloudPath: 'notes/a.txt',
      base64: Buffer.from('uploaded by alice').toString('base64'),
    });
    expect(fileID).toMatch(/^cloud:\/\/.+\/notes\/a\.txt$/);
    expect((await invoke(url, 'notes', { fileID }, 'alice')).result).toBe('uploaded by alice');
    expect((await invoke(url, 'missing', {}, 'alice')).error?.errCode).toBe(-501000);
    const page = await consolePage(url);
    expect(page.html).toContain('devcloud console');
    expect(page.script).toContain('/devcloud/events');
  } finally {
    expect(await cloud.stop('SIGTERM')).toBe(0);
  }
  expect(cloud.stdout().trimEnd().split('\n')).toHaveLength(1); // the ready line, nothing else on stdout
  expect(existsSync(join(project, '.devcloud'))).toBe(false); // --memory wrote nothing
});

test('--function-timeout S: a function without a config.json timeout gets S seconds; its own timeout still wins', async () => {
  // Functions that never answer: only a timeout can end their calls, however loaded the machine.
  const functions = join(root, 'timeouts');
  for (const [name, config] of [
    ['forever', undefined],
    ['ownTimeout', { timeout: 2 }],
  ] as const) {
    mkdirSync(join(functions, name), { recursive: true });
    writeFileSync(join(functions, name, 'index.js'), 'exports.main = () => new Promise(() => {});\n');
    if (config) writeFileSync(join(functions, name, 'config.json'), JSON.stringify(config));
  }
  const cloud = await serving(project, [
    '--functions',
    functions,
    '--memory',
    '--json',
    '--port',
    '0',
    '--function-timeout',
    '1',
  ]);
  try {
    const [forever, own] = await Promise.all([
      invoke(cloud.ready.url, 'forever', {}),
      invoke(cloud.ready.url, 'ownTimeout', {}),
    ]);
    expect(forever.error).toMatchObject({
      errCode: -504003,
      errMsg: expect.stringContaining('timed out after 1 seconds') as string,
    });
    expect(own.error).toMatchObject({
      errCode: -504003,
      errMsg: expect.stringContaining('timed out after 2 seconds') as string,
    });
  } finally {
    await cloud.stop('SIGTERM');
  }
});

test("without flags: project.config.json's cloudfunctionRoot, and the store in ./.devcloud across restarts", async () => {
  const app = join(root, 'app-with-config');
  mkdirSync(app);
  writeFileSync(join(app, 'project.config.json'), JSON.stringify({ cloudfunctionRoot: 'backend/functions/' }));
  addFunction(join(app, 'backend', 'functions'), 'notes');
  declareNotes(app);
  const first = await serving(app, ['--json', '--port', '0']);
  try {
    expect((await invoke(first.ready.url, 'notes', { text: 'kept' }, 'bob')).result).toMatchObject([{ text: 'kept' }]);
  } finally {
    expect(await first.stop('SIGINT')).toBe(0);
  }
  expect(existsSync(join(app, '.devcloud', 'database', 'notes.db'))).toBe(true);
  const second = await serving(app, ['--json', '--port', '0']);
  try {
    expect(await documents(second.ready.url, 'notes')).toMatchObject([{ text: 'kept' }]);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});

test('--import seeds collections, --export-on-exit writes them on SIGINT, and the export imports back', async () => {
  const seed = join(root, 'seed');
  mkdirSync(seed);
  writeFileSync(
    join(seed, 'notes.json'),
    JSON.stringify([
      { _id: 'n1', text: 'a seeded', at: { $date: '2024-01-01T00:00:00.000Z' } },
      { _id: 'n2', text: 'b seeded', at: { $date: { $numberLong: '1704067200000' } }, stars: { $numberInt: '3' } },
    ]),
  );
  const exported = join(root, 'exported');
  const first = await serving(project, [
    '--memory',
    '--json',
    '--port',
    '0',
    '--import',
    seed,
    '--export-on-exit',
    exported,
  ]);
  let before: Array<Record<string, unknown>>;
  try {
    const { url } = first.ready;
    // The function sees the seeded dates as dates, through the real SDK.
    expect((await invoke(url, 'notes', {}, 'carol')).result).toEqual([
      { text: 'a seeded', owner: null, atIsDate: true },
      { text: 'b seeded', owner: null, atIsDate: true },
    ]);
    expect((await invoke(url, 'notes', { text: 'c added' }, 'carol')).error).toBeUndefined();
    before = await documents(url, 'notes');
    expect(before).toHaveLength(3);
    expect(before.find((doc) => doc._id === 'n2')).toEqual({
      _id: 'n2',
      text: 'b seeded',
      at: '2024-01-01T00:00:00.000Z',
      stars: 3,
    });
  } finally {
    expect(await first.stop('SIGINT')).toBe(0);
  }
  expect(first.stdout().trimEnd().split('\n')).toHaveLength(1);
  expect(first.stderr()).toMatch(/exported notes \(3\)/);
  const file = JSON.parse(readFileSync(join(exported, 'notes.json'), 'utf8')) as Array<Record<string, unknown>>;
  expect(file).toHaveLength(3);
  for (const doc of file) expect(doc.at).toEqual({ $date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string });

  const second = await serving(project, ['--memory', '--json', '--port', '0', '--import', exported]);
  try {
    expect(await documents(second.ready.url, 'notes')).toEqual(before);
    const listed = (await invoke(second.ready.url, 'notes', {}, 'carol')).result as Array<{ atIsDate: boolean }>;
    expect(listed.map((note) => note.atIsDate)).toEqual([true, true, true]);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});

test('a bad --import file: exit 1, the file and document named on stderr, nothing served', async () => {
  const seed = join(root, 'bad-seed');
  mkdirSync(seed);
  writeFileSync(join(seed, 'notes.json'), JSON.stringify([{ _id: 'ok' }, 'not a document']));
  const outcome = await finished(project, ['--memory', '--json', '--port', '0', '--import', seed]);
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr).toMatch(/notes\.json: document 1 is a string, not an object/);
});

test("the project's database-rules/ govern wx.cloud.database() on its phones; a bad rules file: exit 1", async () => {
  const app = join(root, 'app-with-rules');
  addFunction(join(app, 'cloudfunctions'), 'notes');
  mkdirSync(join(app, 'database-rules'));
  const rulesFile = join(app, 'database-rules', 'notes.json');
  writeFileSync(rulesFile, JSON.stringify({ read: 'doc.owner == auth.openid', write: false }));
  const cloud = await serving(app, ['--memory', '--json', '--port', '0']);
  try {
    const { url } = cloud.ready;
    expect((await invoke(url, 'notes', { text: 'from the function' }, 'alice')).error).toBeUndefined();
    const notes = (user: string) => createDevice({ devcloudUrl: url, user }).wx.cloud.database().collection('notes');
    const mine = await notes('alice').where({ owner: '{openid}' }).get();
    expect(mine.data).toEqual([expect.objectContaining({ text: 'from the function' })]);
    expect((await notes('bob').where({ owner: '{openid}' }).get()).data).toEqual([]);
    const refused = await notes('bob')
      .get()
      .catch((error: unknown) => error as WxError);
    expect(refused).toMatchObject({ errCode: -502003 });
    expect(
      await notes('alice')
        .add({ data: { text: 'x' } })
        .catch((error: unknown) => error as WxError),
    ).toMatchObject({
      errCode: -502003,
    });
  } finally {
    expect(await cloud.stop()).toBe(0);
  }
  writeFileSync(rulesFile, JSON.stringify({ read: 'doc.owner === auth.openid' }));
  const outcome = await finished(app, ['--memory', '--json', '--port', '0']);
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr).toMatch(/notes\.json: "read": the operator === is not part of the rule language/);
});

test('a --host beyond loopback is refused (exit 2)', async () => {
  const outcome = await finished(project, ['--memory', '--host', '0.0.0.0']);
  expect(outcome.code).toBe(2);
  expect(outcome.stderr).toMatch(/--host 0\.0\.0\.0 refused: devcloud serves loopback only/);
});

test('what npm pack ships is enough: its imports are dependencies, and its bin serves from node_modules', async () => {
  const packed = join(root, 'packed');
  mkdirSync(packed);
  const [report] = JSON.parse(npm(['pack', '--json', '--pack-destination', packed], PACKAGE)) as Array<{
    filename: string;
  }>;
  const installed = join(root, 'tarball-project', 'node_modules', 'devcloud');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(packed, report!.filename), '-C', installed, '--strip-components=1']);
  expect(existsSync(join(installed, 'test'))).toBe(false);

  // Every module the shipped code loads at run time is Node's own or a declared dependency.
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const loaded = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|tsx|js)$/.test(entry.name)) {
        const source = readFileSync(path, 'utf8');
        const specifiers = [
          ...source.matchAll(/^import (?!type )[^;]*? from '([^'.][^']*)'/gm),
          ...source.matchAll(/require\('([^'.][^']*)'\)/g),
        ].map((match) => match[1]!);
        for (const specifier of specifiers) {
          const name = specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : specifier.split('/')[0]!;
          if (!builtinModules.includes(name.replace(/^node:/, '')))
            loaded.add(`${name} (${relative(installed, path)})`);
        }
      }
    }
  };
  walk(installed);
  const undeclared = [...loaded].filter((entry) => !(entry.split(' ')[0]! in manifest.dependencies));
  expect(undeclared).toEqual([]);
  expect(loaded.size).toBeGreaterThan(0);

  // Its bin, from node_modules, with the dependencies npm would install beside it (here: this repository's).
  const app = join(root, 'tarball-project');
  cpSync(join(project, 'cloudfunctions'), join(app, 'cloudfunctions'), { recursive: true, verbatimSymlinks: true });
  declareNotes(app);
  const dependencies = dirname(dirname(resolveModule('tsx/package.json')));
  const cloud = await serving(app, ['--memory', '--json', '--port', '0'], {
    bin: join(installed, 'bin', 'devcloud.js'),
    env: { NODE_PATH: dependencies },
  });
  try {
    expect((await invoke(cloud.ready.url, 'notes', { text: 'from a tarball' }, 'dave')).result).toMatchObject([
      { text: 'from a tarball', atIsDate: true },
    ]);
    // The console's sources ship too: the installed package builds and serves its page.
    expect((await consolePage(cloud.ready.url)).script).toContain('/devcloud/events');
  } finally {
    expect(await cloud.stop()).toBe(0);
  }
});
