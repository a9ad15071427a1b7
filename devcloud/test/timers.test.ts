/**
 * Timer triggers: CloudBase's 7-field cron (cron.ts) against its documented rules and where cron-parser differs,
 * the scheduler firing real functions on the clock, and the kit's admin function's daily log pruning.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { CronSyntaxError, parseCloudBaseCron } from '../functions/cron';
import { FunctionConfigStore } from '../functions/config';
import { TimerScheduler } from '../functions/timers';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';
import type { TimerEvent } from '../protocol';

const SDK = join(__dirname, '..', '..', 'node_modules', 'wx-server-sdk');

/** An instant written in UTC+8, the trigger clock. */
const beijing = (local: string) => new Date(`${local}+08:00`);

/** The next `count` firings after `from`, as UTC+8 local times ('YYYY-MM-DD HH:mm:ss'). */
function firings(expression: string, from: Date, count: number): string[] {
  const cron = parseCloudBaseCron(expression);
  const times: string[] = [];
  let at: Date | undefined = from;
  while (times.length < count && at) {
    at = cron.next(at);
    if (at) times.push(new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' '));
  }
  return times;
}

describe('CloudBase cron (7 fields, UTC+8)', () => {
  test('the kit admin trigger "0 0 3 * * * *" fires daily at 03:00 Beijing time', () => {
    expect(firings('0 0 3 * * * *', beijing('2025-01-01T00:00:00'), 2)).toEqual([
      '2025-01-01 03:00:00',
      '2025-01-02 03:00:00',
    ]);
    expect(parseCloudBaseCron('0 0 3 * * * *').next(beijing('2025-01-01T00:00:00'))?.toISOString()).toBe(
      '2024-12-31T19:00:00.000Z',
    );
  });

  test('day and weekday both given are ORed (the docs: 两者为"或"关系)', () => {
    // 2025-01-01 is a Wednesday: the 1st of each month OR every Monday.
    expect(firings('0 0 3 1 * MON *', beijing('2025-01-01T04:00:00'), 6)).toEqual([
      '2025-01-06 03:00:00',
      '2025-01-13 03:00:00',
      '2025-01-20 03:00:00',
      '2025-01-27 03:00:00',
      '2025-02-01 03:00:00',
      '2025-02-03 03:00:00',
    ]);
  });

  test('the year field (7th) limits the years; past its last year the trigger never fires again', () => {
    expect(firings('0 0 0 1 1 * 2030', beijing('2025-06-01T00:00:00'), 3)).toEqual(['2030-01-01 00:00:00']);
    expect(firings('0 30 12 * * * 2026-2027', beijing('2025-06-01T00:00:00'), 1)).toEqual(['2026-01-01 12:30:00']);
    expect(firings('0 0 12 31 12 * 2026,2028', beijing('2027-01-01T00:00:00'), 2)).toEqual(['2028-12-31 12:00:00']);
    expect(parseCloudBaseCron('0 0 0 1 1 * 2024').next(beijing('2025-01-01T00:00:00'))).toBeUndefined();
  });

  test('names, ranges, lists and steps as the docs show them', () => {
    expect(firings('*/5 * * * * * *', beijing('2025-01-01T00:00:00'), 3)).toEqual([
      '2025-01-01 00:00:05',
      '2025-01-01 00:00:10',
      '2025-01-01 00:00:15',
    ]);
    // "1/10 in the minute field: the 1st minute, then every ten" (11, 21, ...).
    expect(firings('0 1/10 * * * * *', beijing('2025-01-01T00:00:00'), 3)).toEqual([
      '2025-01-01 00:01:00',
      '2025-01-01 00:11:00',
      '2025-01-01 00:21:00',
    ]);
    expect(firings('0 15 10 * * MON-FRI *', beijing('2025-01-03T11:00:00'), 2)).toEqual([
      '2025-01-06 10:15:00', // Friday 3rd has passed; Saturday and Sunday are skipped
      '2025-01-07 10:15:00',
    ]);
    expect(firings('0 0 10,14,16 * jan * *', beijing('2025-01-01T11:00:00'), 2)).toEqual([
      '2025-01-01 14:00:00',
      '2025-01-01 16:00:00',
    ]);
    expect(firings('0 0 12 * * 0 *', beijing('2025-01-01T00:00:00'), 1)).toEqual(['2025-01-05 12:00:00']); // 0 is Sunday
  });

  test.each([
    ['0 0 3 * * *', /needs 7/], // six fields: cron-parser would take it, CloudBase does not
    ['0 0 3 * * * * *', /needs 7/],
    ['0 0 3 ? * MON *', /\? L W #/], // cron-parser accepts ?, L, W, #; CloudBase lists none of them
    ['0 0 3 L * * *', /not a number/],
    ['0 0 3 * * 1#2 *', /\? L W #/],
    ['0 0 3 * * 7 *', /outside 0-6/], // cron-parser takes 7 for Sunday; CloudBase's weekday is 0-6
    ['60 0 3 * * * *', /outside 0-59/],
    ['0 0 24 * * * *', /outside 0-23/],
    ['0 0 3 0 * * *', /outside 1-31/],
    ['0 0 3 * 13 * *', /outside 1-12/],
    ['0 0 3 * * * 2100', /outside 1970-2099/],
    ['0 0 3 * * * 1969', /outside 1970-2099/],
    ['0 0 5-3 * * * *', /backwards/],
    ['0 */0 * * * * *', /step/],
  ])('refuses %s, saying why', (expression, why) => {
    expect(() => parseCloudBaseCron(expression)).toThrow(CronSyntaxError);
    expect(() => parseCloudBaseCron(expression)).toThrow(why);
  });
});

describe('the scheduler', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devcloud-timers-'));
    await mkdir(join(dir, 'ticker'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const writeTrigger = (config: object) => writeFile(join(dir, 'ticker', 'config.json'), JSON.stringify(config));

  test('fires on the clock, each firing with its scheduled Time; stops when config.json drops the trigger', async () => {
    await writeTrigger({ triggers: [{ name: 'everySecond', type: 'timer', config: '* * * * * * *' }] });
    const events: TimerEvent[] = [];
    const scheduler = new TimerScheduler({
      configs: new FunctionConfigStore(dir),
      appid: 'wx-test',
      rescanMs: 100,
      invoke: async (functionName, event, context) => {
        events.push(event);
        expect(functionName).toBe('ticker');
        expect(context).toEqual({ APPID: 'wx-test', SOURCE: 'wx_trigger', TRIGGER_SRC: 'timer' });
        return { requestId: String(events.length), functionName, cold: false, durationMs: 0, result: null };
      },
    });
    await scheduler.start();
    try {
      // Waits for the firings (events), bounded only to end a run in which they never come.
      const deadline = Date.now() + 30_000;
      while (events.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events.length).toBeGreaterThanOrEqual(2);
      const [first, second] = events as [TimerEvent, TimerEvent];
      expect(first).toEqual({
        Type: 'Timer',
        TriggerName: 'everySecond',
        Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
      });
      expect(Date.parse(second.Time) - Date.parse(first.Time)).toBe(1000);
      expect(scheduler.firings()[0]).toMatchObject({
        functionName: 'ticker',
        triggerName: 'everySecond',
        manual: false,
      });

      await writeTrigger({});
      // Once a rescan sees the edit, the firings stop: waited for (the firings went quiet for 1.5 s, longer than
      // the trigger's 1 s period), however long a loaded machine takes to rescan. A trigger left armed keeps firing
      // and ends the loop at its bound.
      let seen = events.length;
      for (let quietMs = 0, waitedMs = 0; quietMs < 1500; waitedMs += 100) {
        if (waitedMs > 30_000) throw new Error('the trigger kept firing after config.json dropped it');
        await new Promise((resolve) => setTimeout(resolve, 100));
        quietMs = events.length === seen ? quietMs + 100 : 0;
        seen = events.length;
      }
      expect(await scheduler.list()).toEqual([]);
    } finally {
      scheduler.stop();
    }
  });

  test('an invalid trigger is reported once and not armed; the rest of the folder still runs', async () => {
    await writeTrigger({ triggers: [{ name: 'bad', type: 'timer', config: '0 0 3 * * *' }] });
    const reported: string[] = [];
    const scheduler = new TimerScheduler({
      configs: new FunctionConfigStore(dir),
      appid: 'wx-test',
      onConfigError: (message) => reported.push(message),
      invoke: () => Promise.reject(new Error('not expected')),
    });
    await scheduler.start();
    await scheduler.list();
    scheduler.stop();
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/triggers bad: .*needs 7/);
  });
});

describe('through devcloud, on the kit', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud();
  });
  afterAll(() => cloud.stop());

  test("the admin function's daily pruneLogs is listed with its next firing at 03:00 Beijing time", async () => {
    const { triggers } = await cloud.control.triggers();
    const admin = triggers.find((trigger) => trigger.functionName === 'admin');
    expect(admin).toMatchObject({ name: 'pruneLogs', config: '0 0 3 * * * *' });
    expect(admin?.next).toMatch(/T19:00:00\.000Z$/);
  });

  test('firing it prunes login_logs past the retention, as a timer with no user', async () => {
    const openid = `o-${uniqueUser('prune')}`;
    const day = 24 * 3600_000;
    const insert = (id: string, daysAgo: number) =>
      cloud.cloud!.database.handle('database.insertDocument', {
        envName: cloud.cloud!.envId,
        collectionName: 'login_logs',
        data: [JSON.stringify({ _id: id, openid, at: { $date: new Date(Date.now() - daysAgo * day).toISOString() } })],
      });
    await insert(`${openid}-200`, 200);
    await insert(`${openid}-10`, 10);

    const firing = await cloud.control.fireTrigger('admin', 'pruneLogs');
    expect(firing).toMatchObject({ functionName: 'admin', triggerName: 'pruneLogs', manual: true });
    expect(firing.result).toMatchObject({ ok: true, data: { deleted: expect.any(Number) as unknown } });
    const left = (await cloud.control.documents('login_logs')).filter((doc) => doc.openid === openid);
    expect(left.map((doc) => doc._id)).toEqual([`${openid}-10`]);
    expect(await cloud.control.documents('admin_logs')).toContainEqual(
      expect.objectContaining({ admin: 'timer', action: 'pruneLogs:pruneLogs', ok: true }),
    );
    expect((await cloud.control.triggers()).firings.at(-1)).toMatchObject({ functionName: 'admin', manual: true });
  });

  test('an unknown trigger answers 404; a function with one trigger needs no name', async () => {
    await expect(cloud.control.fireTrigger('admin', 'nope')).rejects.toThrow(/404.*declared: pruneLogs/);
    await expect(cloud.control.fireTrigger('login')).rejects.toThrow(/404/);
    expect((await cloud.control.fireTrigger('admin')).triggerName).toBe('pruneLogs');
  });
});

describe('a timer-triggered function, end to end', () => {
  let dir: string;
  let cloud: TestCloud;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devcloud-timer-fn-'));
    await mkdir(join(dir, 'tick'));
    await writeFile(
      join(dir, 'tick', 'index.js'),
      `const cloud = require(${JSON.stringify(SDK)});
exports.main = async (event) => ({ event, context: cloud.getWXContext(), triggerSrc: process.env.TRIGGER_SRC });`,
    );
    await writeFile(
      join(dir, 'tick', 'config.json'),
      JSON.stringify({ triggers: [{ name: 'tick', type: 'timer', config: '* * * * * * *' }] }),
    );
    cloud = await startTestCloud({ functionsDir: dir, timers: true });
  });
  afterAll(async () => {
    await cloud.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('fired by the clock: the event {Type, TriggerName, Time}, SOURCE wx_trigger, no user', async () => {
    const deadline = Date.now() + 30_000; // waits for the first firing; the bound only ends a broken run
    let firings = (await cloud.control.triggers()).firings;
    while (firings.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      firings = (await cloud.control.triggers()).firings;
    }
    const first = firings[0];
    expect(first).toMatchObject({ functionName: 'tick', triggerName: 'tick', manual: false });
    const result = first?.result as { event: TimerEvent; context: Record<string, unknown>; triggerSrc: string };
    expect(result.event).toEqual({ Type: 'Timer', TriggerName: 'tick', Time: first?.time });
    expect(result.context.SOURCE).toBe('wx_trigger');
    expect(result.context.OPENID).toBeUndefined();
    expect(result.triggerSrc).toBe('timer');
  });
});
