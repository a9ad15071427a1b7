/**
 * Query.updateAndReturn (database.modifyAndReturnDoc) is how an update returns the document in one round trip. When
 * the service refuses that action (an error code that is not a transient one), the functions fall back to update +
 * get, remember it for the instance, and say so once in the log. A transient failure stays a failure.
 */
import type { Envelope } from '../../contracts';
import { startTestCloud, uniqueUser, type TestCloud } from '../support/devcloud';

// A fresh cloud per test: a function instance that saw a refusal remembers it.
let t: TestCloud;
beforeEach(async () => {
  t = await startTestCloud();
});
afterEach(() => t.stop());

async function invoke(fn: string, event: unknown, user: string): Promise<Envelope<Record<string, unknown>>> {
  const report = await t.control.invoke(fn, event, user);
  expect(report.error).toBeUndefined();
  return report.result as Envelope<Record<string, unknown>>;
}

test.each(['INVALID_ACTION', 'PERMISSION_DENIED'])(
  'a service that refuses the action (%s): logins and account actions work, the refusal is logged once',
  async (code) => {
    const name = uniqueUser('refused');
    const { openid } = await t.control.user(name);
    expect(await invoke('login', {}, name)).toMatchObject({ ok: true }); // the instance is warm
    await t.control.injectFault({
      target: 'database',
      mode: 'error',
      code,
      match: { action: 'database.modifyAndReturnDoc' },
      times: 1000,
    });
    const logsBefore = (await t.control.logs()).length;
    await t.control.resetStats();
    for (let round = 1; round <= 3; round += 1) {
      expect(await invoke('login', { code: await t.control.loginCode(name) }, name)).toMatchObject({
        ok: true,
        data: { user: { loginCount: 1 + round } },
      });
    }
    expect(await invoke('account', { action: 'recordConsent', version: 1 }, name)).toMatchObject({ ok: true });
    expect(await invoke('account', { action: 'updateProfile', nickName: '回退' }, name)).toMatchObject({
      ok: true,
      data: { user: { nickName: '回退' } },
    });
    const doc = (await t.control.documents('users')).find((user) => user._id === openid);
    expect(doc).toMatchObject({ loginCount: 4, nickName: '回退' });
    // Asked once per function instance (login's and account's), then never again: the fault fired that often.
    const [left] = await t.control.pendingFaults();
    const asked = 1000 - (left?.times ?? 0);
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(asked).toBeLessThanOrEqual(2);
    expect((await t.control.stats()).database.byAction['database.modifyAndReturnDoc'] ?? 0).toBe(0);
    const lines = (await t.control.logs()).slice(logsBefore).map((entry) => entry.line);
    const refusals = lines.filter((line) => line.includes('UPDATE_AND_RETURN_REFUSED'));
    expect(refusals.length).toBe(asked);
    for (const line of refusals) expect(line).toContain(code);
  },
);

test('a transient failure of the action is not a refusal: the login answers INTERNAL and the next one is back to one round trip', async () => {
  const name = uniqueUser('transient');
  expect(await invoke('login', {}, name)).toMatchObject({ ok: true });
  await t.control.injectFault({
    target: 'database',
    mode: 'error',
    match: { action: 'database.modifyAndReturnDoc' },
    times: 3, // the first try and the settle rounds
  });
  expect(await invoke('login', {}, name)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  await t.control.clearFaults();
  await t.control.resetStats();
  expect(await invoke('login', {}, name)).toMatchObject({ ok: true });
  expect((await t.control.stats()).database.byAction['database.modifyAndReturnDoc']).toBe(1);
});
