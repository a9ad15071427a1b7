/**
 * cloud.callFunction inside a cloud function (functions.invokeFunction), through the REAL wx-server-sdk: what the
 * callee sees of the caller's identity, what the caller gets back, how failures reach it, and the fault model.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';

const SDK = join(__dirname, '..', '..', 'node_modules', 'wx-server-sdk');
const INIT = `const cloud = require(${JSON.stringify(SDK)});\ncloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });`;

const FUNCTIONS: Record<string, { code: string; config?: object }> = {
  // Calls event.target with event.data and reports what the SDK gave it.
  outer: {
    code: `${INIT}
exports.main = async (event) => {
  try {
    const reply = await cloud.callFunction({ name: event.target, data: event.data });
    return { ok: true, reply };
  } catch (e) {
    return { ok: false, errCode: e.errCode, errMsg: e.errMsg, code: e.code };
  }
};`,
  },
  inner: {
    code: `${INIT}
exports.main = async (event) => {
  console.log('inner ran ' + (event.tag || ''));
  return { context: cloud.getWXContext(), event };
};`,
  },
  thrower: { code: `exports.main = async () => { throw new Error('inner boom'); };` },
  // Never answers: only its timeout can end the call, however loaded the machine.
  sleeper: {
    code: `exports.main = () => new Promise(() => {});`,
    config: { timeout: 1 },
  },
  // A timer-triggered function that calls inner.
  nightly: {
    code: `${INIT}
exports.main = async () => (await cloud.callFunction({ name: 'inner', data: { tag: 'from-timer' } })).result;`,
    config: { triggers: [{ name: 'nightly', type: 'timer', config: '0 0 3 * * * *' }] },
  },
};

let functionsDir: string;
let cloud: TestCloud;

beforeAll(async () => {
  functionsDir = await mkdtemp(join(tmpdir(), 'devcloud-callfn-'));
  for (const [name, { code, config }] of Object.entries(FUNCTIONS)) {
    await mkdir(join(functionsDir, name));
    await writeFile(join(functionsDir, name, 'index.js'), code);
    if (config) await writeFile(join(functionsDir, name, 'config.json'), JSON.stringify(config));
  }
  cloud = await startTestCloud({ functionsDir });
});

afterAll(async () => {
  await cloud.stop();
  await rm(functionsDir, { recursive: true, force: true });
});

interface OuterResult {
  ok: boolean;
  reply?: {
    result: { context: Record<string, unknown>; event: Record<string, unknown> };
    errMsg: string;
    requestID: string;
  };
  errCode?: number;
  errMsg?: string;
  code?: string;
}

async function outer(target: string, data: unknown, user?: string): Promise<OuterResult> {
  const report = await cloud.control.invoke('outer', { target, data }, user);
  if (report.error) throw new Error(`outer failed: ${report.error.errMsg}`);
  return report.result as OuterResult;
}

describe('identity and result', () => {
  test("the callee runs for the caller's user, SOURCE wx_client,scf; the caller gets {result, requestID}", async () => {
    const user = uniqueUser('callfn');
    const { openid } = await cloud.control.user(user, { unionid: true });
    const { appid, envId } = await cloud.control.info();
    const got = await outer('inner', { x: 1, nested: { y: [2] } }, user);
    expect(got.ok).toBe(true);
    expect(got.reply).toEqual({
      result: {
        context: expect.objectContaining({
          OPENID: openid,
          APPID: appid,
          ENV: envId,
          SOURCE: 'wx_client,scf',
        }) as unknown,
        // What the caller sent, and nothing added: no userInfo, which only the mini-program client injects.
        event: { x: 1, nested: { y: [2] } },
      },
      errMsg: 'callFunction:ok',
      requestID: expect.any(String) as unknown,
    });
    expect(got.reply?.result.context.UNIONID).toBeTruthy();
  });

  test('a chain appends scf per hop; a caller with no user gives the callee none', async () => {
    const chained = await outer('outer', { target: 'inner', data: {} }, uniqueUser('chain'));
    const inner = (chained.reply?.result as unknown as OuterResult).reply?.result.context;
    expect(inner?.SOURCE).toBe('wx_client,scf,scf');
    const anonymous = await outer('inner', {});
    expect(anonymous.reply?.result.context.OPENID).toBeUndefined();
  });

  test('a timer-triggered caller has no user: the callee sees SOURCE wx_trigger,scf and no OPENID', async () => {
    const firing = await cloud.control.fireTrigger('nightly');
    expect(firing.error).toBeUndefined();
    const { context, event } = firing.result as { context: Record<string, unknown>; event: unknown };
    expect(context.SOURCE).toBe('wx_trigger,scf');
    expect(context.OPENID).toBeUndefined();
    expect(event).toEqual({ tag: 'from-timer' });
  });
});

describe('failures as the SDK reports them (errCode -1, the service code in `code`)', () => {
  test('a callee that throws: FUNCTIONS_EXECUTE_FAIL with its message', async () => {
    const got = await outer('thrower', {});
    expect(got).toMatchObject({ ok: false, errCode: -1, code: 'FUNCTIONS_EXECUTE_FAIL' });
    expect(got.errMsg).toMatch(/^callFunction:fail .*inner boom/);
  });

  test('a missing function: FUNCTION_NOT_FOUND', async () => {
    const got = await outer('no-such-function', {});
    expect(got).toMatchObject({ ok: false, errCode: -1, code: 'FUNCTION_NOT_FOUND' });
  });

  test('a callee past its own config.json timeout (1 s): FUNCTIONS_TIME_LIMIT_EXCEEDED', async () => {
    const got = await outer('sleeper', {});
    expect(got).toMatchObject({ ok: false, errCode: -1, code: 'FUNCTIONS_TIME_LIMIT_EXCEEDED' });
    expect(got.errMsg).toContain('timed out after 1 seconds');
  });
});

describe('recorded, and faults can hit it (target functions)', () => {
  test('each call is recorded with caller, callee and user', async () => {
    const user = uniqueUser('record');
    const { openid } = await cloud.control.user(user);
    await cloud.control.clearRecordedCalls();
    await outer('inner', {}, user);
    await outer('thrower', {}, user);
    const calls = (await cloud.control.recordedCalls()).filter((call) => call.target === 'functions');
    expect(calls).toEqual([
      expect.objectContaining({
        action: 'functions.invokeFunction',
        functionName: 'outer',
        callee: 'inner',
        openid,
        outcome: 'ok',
      }),
      expect.objectContaining({ callee: 'thrower', outcome: 'error' }),
    ]);
  });

  test("an 'error' fault fails the call without running the callee; 'lost' runs it and still fails", async () => {
    const ran = async (tag: string) =>
      (await cloud.control.logs()).filter((log) => log.functionName === 'inner' && log.line === `inner ran ${tag}`)
        .length;
    await cloud.control.injectFault({ target: 'functions', mode: 'error', match: { callee: 'inner' } });
    expect(await outer('inner', { tag: 'refused' })).toMatchObject({ ok: false, code: 'FUNCTIONS_EXECUTE_FAIL' });
    expect(await ran('refused')).toBe(0);

    await cloud.control.injectFault({ target: 'functions', mode: 'lost', match: { callee: 'inner' } });
    const lost = await outer('inner', { tag: 'lost' });
    expect(lost.ok).toBe(false);
    expect(await ran('lost')).toBe(1);
    expect((await outer('inner', { tag: 'after' })).ok).toBe(true);
    expect(await cloud.control.pendingFaults()).toEqual([]);
  });

  test('a fault for a misspelt action is refused', async () => {
    await expect(
      cloud.control.injectFault({ target: 'functions', mode: 'error', match: { action: 'functions.invoke' } }),
    ).rejects.toThrow(/400/);
  });
});
