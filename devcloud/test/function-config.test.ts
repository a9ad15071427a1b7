/**
 * Per-function configuration from config.json: the timeout (seconds, 1-60; CloudBase's default 3 s otherwise) and
 * envVariables, merged under devcloud's functionEnv option (which wins), with invalid files refused clearly.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { FunctionConfigError, parseFunctionConfig } from '../functions/config';
import { FUNCTION_CONFIG_INVALID, FUNCTION_TIMEOUT } from '../functions/runtime';
import { startTestCloud, type TestCloud } from './support/cloud';

const SDK = join(__dirname, '..', '..', 'node_modules', 'wx-server-sdk');

/** Reports the variables the test looks at, and sleeps when asked. */
const REPORTER = `const cloud = require(${JSON.stringify(SDK)});
exports.main = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, event.sleepMs || 0));
  return { GREETING: process.env.GREETING, COUNT: process.env.COUNT, FLAG: process.env.FLAG,
    TCB_ENV: process.env.TCB_ENV, ENV: cloud.getWXContext().ENV };
};`;

let dir: string;
let cloud: TestCloud;

async function writeFunction(name: string, config?: object | string): Promise<void> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'index.js'), REPORTER);
  if (config !== undefined)
    await writeFile(join(dir, name, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
}

const ENV_CONFIG = { envVariables: { GREETING: 'from config.json', COUNT: 3, FLAG: true, TCB_ENV: 'hijacked' } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'devcloud-config-'));
  await writeFunction('configured', ENV_CONFIG);
  await writeFunction('overridden', ENV_CONFIG);
  await writeFunction('quick', { timeout: 1 });
  await writeFunction('plain');
  cloud = await startTestCloud({
    functionsDir: dir,
    functionTimeoutMs: 10_000,
    functionEnv: { overridden: { GREETING: 'from --function-env' } },
  });
});

afterAll(async () => {
  await cloud.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('envVariables', () => {
  test("reach the function as strings; the runtime's own variables cannot be replaced", async () => {
    const { envId } = await cloud.control.info();
    const { result } = await cloud.control.invoke('configured', {});
    expect(result).toEqual({ GREETING: 'from config.json', COUNT: '3', FLAG: 'true', TCB_ENV: envId, ENV: envId });
  });

  test('the functionEnv option (--function-env) wins over config.json, variable by variable', async () => {
    const { result } = await cloud.control.invoke('overridden', {});
    expect(result).toMatchObject({ GREETING: 'from --function-env', COUNT: '3' });
  });

  test('an edit takes effect on the next invocation, in a new instance, as a redeploy would', async () => {
    await writeFunction('edited', { envVariables: { GREETING: 'first' } });
    expect((await cloud.control.invoke('edited', {})).result).toMatchObject({ GREETING: 'first' });
    await writeFunction('edited', { envVariables: { GREETING: 'second, longer' } });
    const report = await cloud.control.invoke('edited', {});
    expect(report.result).toMatchObject({ GREETING: 'second, longer' });
    expect(report.cold).toBe(true);
  });
});

describe('timeout', () => {
  test("config.json's timeout (1 s) ends an invocation past it: -504003, 'timed out after 1 seconds'", async () => {
    // Sleeps far longer than any load could delay the timeout: only the timeout can answer.
    const report = await cloud.control.invoke('quick', { sleepMs: 600_000 });
    expect(report.error?.errCode).toBe(FUNCTION_TIMEOUT);
    expect(report.error?.errMsg).toContain('Invoking task timed out after 1 seconds');
    expect((await cloud.control.invoke('quick', { sleepMs: 0 })).error).toBeUndefined();
  });

  test("without one, devcloud's default applies (functionTimeoutMs, CloudBase's 3 s unless set)", async () => {
    const report = await cloud.control.invoke('plain', { sleepMs: 1500 });
    expect(report.error).toBeUndefined();
  });
});

describe('an invalid config.json fails the invocation clearly and runs nothing', () => {
  test.each([
    [{ timeout: 61 }, /timeout: timeout must be at most 60 seconds/],
    [{ timeout: 0 }, /at least 1 second/],
    [{ timeout: 2.5 }, /whole number/],
    [{ envVariables: { 'BAD-NAME': 'x' } }, /envVariables/],
    [{ envVariables: { OK: { nested: 1 } } }, /values are strings/],
    [
      {
        triggers: [
          { name: 'a', type: 'timer', config: '0 0 3 * * * *' },
          { name: 'b', type: 'timer', config: '0 0 4 * * * *' },
        ],
      },
      /one trigger/,
    ],
    [{ triggers: [{ name: '1st', type: 'timer', config: '0 0 3 * * * *' }] }, /starting with a letter/],
    [{ triggers: [{ name: 'x', type: 'http', config: '' }] }, /"timer"/],
    [{ triggers: [{ name: 'x', type: 'timer', config: '0 0 3 * * 7 *' }] }, /weekday field "7": 7 is outside 0-6/],
    ['{"timeout": ', /invalid JSON/],
  ])('%j', async (config, why) => {
    await writeFunction('broken', config);
    const report = await cloud.control.invoke('broken', {});
    expect(report.error?.errCode).toBe(FUNCTION_CONFIG_INVALID);
    expect(report.error?.errMsg).toMatch(why);
    expect(report.error?.errMsg).toContain('config.json');
  });

  test('parseFunctionConfig reads what CloudBase documents and ignores the rest (permissions, runtime...)', () => {
    const config = parseFunctionConfig(
      JSON.stringify({
        permissions: { openapi: ['wxacode.get'] },
        runtime: 'Nodejs16.13',
        timeout: 20,
        envVariables: { A: 'b' },
        triggers: [{ name: 'daily', type: 'timer', config: '0 0 3 * * * *' }],
      }),
      'config.json',
    );
    expect(config).toMatchObject({ timeoutSeconds: 20, envVariables: { A: 'b' }, triggers: [{ name: 'daily' }] });
    expect(() => parseFunctionConfig('[]', 'x/config.json')).toThrow(FunctionConfigError);
  });
});
