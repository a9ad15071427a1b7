/**
 * The breakfast example (examples/breakfast/), end to end as its README runs it: its own functions on the real SDK
 * (each with wx-server-sdk in its node_modules, as `npm install` in the function folder gives it), its rules, its
 * seed, and its client script on simulated phones. It uses client database access under rules, a subscription
 * message sent by a function another function called, an aggregation, and a timer trigger.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'fs';
import { createRequire } from 'module';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { importCollections } from '../database/collections';
import { DevCloudControl } from '../phone/control';
import { breakfastMorning, ORDER_READY_TEMPLATE, type MorningReport } from '../examples/breakfast/client';
import { startDevCloud, type DevCloud } from '../hub';

const EXAMPLE = join(__dirname, '..', 'examples', 'breakfast');
const SDK = dirname(createRequire(__filename).resolve('wx-server-sdk/package.json'));

let project: string;
let cloud: DevCloud;
let control: DevCloudControl;
let report: MorningReport;
beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'devcloud-breakfast-'));
  cpSync(EXAMPLE, project, { recursive: true });
  const functions = join(project, 'cloudfunctions');
  for (const name of readdirSync(functions)) {
    mkdirSync(join(functions, name, 'node_modules'));
    symlinkSync(SDK, join(functions, name, 'node_modules', 'wx-server-sdk'), 'dir');
  }
  cloud = await startDevCloud({
    functionsDir: functions,
    rulesDir: join(project, 'database-rules'),
    functionTimeoutMs: 10_000, // two cores shared by jest workers
    timers: false, // fired on demand below, as the client script does
  });
  control = new DevCloudControl(cloud.url);
  await importCollections(cloud.database, join(project, 'seed'));
  report = await breakfastMorning(cloud.url);
}, 60_000);
afterAll(async () => {
  await cloud?.stop();
  rmSync(project, { recursive: true, force: true });
});

test('anyone reads the menu; customers order from the phone and the cloud stamps the owner', async () => {
  expect(report.menu.map((dish) => dish._id)).toEqual(['youtiao', 'soy-milk', 'baozi']);
  const orders = await control.documents('orders');
  expect(orders).toHaveLength(3);
  for (const customer of [report.alice, report.bob, report.carol])
    expect(orders.find((order) => order._id === customer.orderId)).toMatchObject({ _openid: customer.openid });
  expect(orders.find((order) => order._id === report.carol.orderId)).toMatchObject({ status: 'cancelled' });
});

test('the rules refuse what a customer must not do, and the functions refuse customers', () => {
  expect(report.refusals).toEqual({
    readAnothersOrder: -502003,
    listEveryOrder: -502003,
    placeAReadyOrder: -502003,
    markOwnOrderReady: -502003,
    writeTheMenu: -502003,
    writeTheSummary: -502003,
    customerCallsNotify: 'FORBIDDEN',
    customerCallsKitchen: 'FORBIDDEN',
  });
});

test('the chef marks orders ready; kitchen calls notify, which messages the customer who subscribed', async () => {
  expect(report.ready).toEqual({
    [report.alice.user]: { ok: true, notified: true },
    [report.bob.user]: { ok: true, notified: false }, // no subscription: 43101, the order is ready all the same
    [report.carol.user]: { ok: false, error: 'NOT_PLACED' }, // cancelled before
  });
  const messages = await control.outbox({ kind: 'subscribeMessage' });
  expect(messages).toEqual([
    expect.objectContaining({
      functionName: 'notify',
      touser: report.alice.openid,
      payload: expect.objectContaining({
        template_id: ORDER_READY_TEMPLATE,
        page: `pages/order/order?id=${report.alice.orderId}`,
      }) as unknown,
    }),
  ]);
  const calls = await control.recordedCalls();
  const kitchenToNotify = expect.objectContaining({ functionName: 'kitchen', outcome: 'ok' }) as unknown;
  expect(calls.filter((call) => call.target === 'functions')).toEqual([kitchenToNotify, kitchenToNotify]);
  expect(report.aliceOrders).toEqual([
    expect.objectContaining({ _id: report.alice.orderId, status: 'ready', readyAt: expect.any(Date) as unknown }),
  ]);
});

test('the evening timer totals the day with an aggregation, priced from the menu; any phone reads it', async () => {
  const { triggers } = await control.triggers();
  expect(triggers).toEqual([
    expect.objectContaining({ functionName: 'dailySummary', name: 'eveningSummary', config: '0 0 22 * * * *' }),
  ]);
  // Alice's 2 soy milks and 1 youtiao, Bob's 3 baozi; Carol's cancelled order is left out.
  expect(report.summary).toMatchObject({
    orders: 2,
    dishes: [
      { id: 'baozi', name: '肉包', qty: 3, amount: 1050 },
      { id: 'soy-milk', name: '豆浆', qty: 2, amount: 600 },
      { id: 'youtiao', name: '油条', qty: 1, amount: 250 },
    ],
    amount: 1900,
  });
  const [summary] = await control.documents('summaries');
  expect(summary?._id).toBe(report.summary._id);
  expect(summary?._id).toMatch(/^\d{4}-\d\d-\d\d$/);
});
