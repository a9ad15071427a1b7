/**
 * A morning at the breakfast shop, played on simulated phones against a running devcloud (play.ts runs it):
 *
 * Customers read the menu and place orders straight from the mini-program (wx.cloud.database(), under
 * database-rules/), subscribe to the "order ready" message, and read their own orders; the chef marks orders ready
 * with the kitchen function, which calls the notify function, which sends the subscription message; in the evening
 * the dailySummary timer totals the day with an aggregation. Each step prints what a user would see.
 */
import { createDevice, DevCloudControl, type Device } from 'devcloud';

/** The template notify sends (its config.json ORDER_READY_TEMPLATE). */
export const ORDER_READY_TEMPLATE = 'order-ready-template';

export interface Customer {
  user: string;
  openid: string;
  orderId: string;
}

export interface MorningReport {
  menu: Array<{ _id: string; name: string; price: number }>;
  alice: Customer;
  bob: Customer;
  carol: Customer;
  /** What each refused attempt answered (errCode), by what was tried. */
  refusals: Record<string, number | string>;
  /** What the kitchen function answered, by order. */
  ready: Record<string, unknown>;
  /** Alice's orders as her phone reads them after the kitchen: newest first. */
  aliceOrders: Array<Record<string, unknown>>;
  /** The evening's summary, as any phone reads it. */
  summary: Record<string, unknown>;
}

type Log = (line: string) => void;

/** The errCode a refused call failed with (or its errMsg when it has none); throws when the call succeeded. */
async function refused(attempt: Promise<unknown>): Promise<number | string> {
  return attempt.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      const { errCode, errMsg } = error as { errCode?: number; errMsg?: string };
      return errCode ?? errMsg ?? String(error);
    },
  );
}

async function callFunction(device: Device, name: string, data: Record<string, unknown>): Promise<unknown> {
  return (await device.wx.cloud.callFunction({ name, data })).result;
}

/** Plays the morning; `suffix` keeps users apart when several runs share one devcloud (tests). */
export async function breakfastMorning(
  devcloudUrl: string,
  log: Log = () => undefined,
  suffix = '',
): Promise<MorningReport> {
  const control = new DevCloudControl(devcloudUrl);
  const phone = (name: string) => createDevice({ devcloudUrl, user: `${name}${suffix}` });
  const [alicePhone, bobPhone, carolPhone] = [phone('alice'), phone('bob'), phone('carol')];
  // The chef is the simulated user "chef", whose OPENID kitchen/config.json lists as staff.
  const chef = createDevice({ devcloudUrl, user: 'chef' });
  const openid = async (device: Device) => (await control.user(device.user)).openid;
  const refusals: MorningReport['refusals'] = {};

  // 1. Anyone reads the menu (read: true).
  const db = alicePhone.wx.cloud.database();
  const { data: menu } = await db.collection('menu').orderBy('price', 'asc').get();
  log(`menu: ${menu.map((dish) => `${String(dish.name)} ¥${Number(dish.price) / 100}`).join(', ')}`);

  // 2. Alice subscribes to "order ready" (she accepts), then orders from her phone: _openid is stamped by the cloud.
  const subscribed = await alicePhone.wx.requestSubscribeMessage({ tmplIds: [ORDER_READY_TEMPLATE] });
  log(`alice subscribes: ${String((subscribed as Record<string, unknown>)[ORDER_READY_TEMPLATE])}`);
  const order = async (device: Device, items: Array<{ id: string; qty: number }>): Promise<string> => {
    const orders = device.wx.cloud.database().collection('orders');
    const { _id } = await orders.add({
      data: { items, status: 'placed', placedAt: device.wx.cloud.database().serverDate() },
    });
    return String(_id);
  };
  const alice = { user: alicePhone.user, openid: await openid(alicePhone), orderId: '' };
  alice.orderId = await order(alicePhone, [
    { id: 'soy-milk', qty: 2 },
    { id: 'youtiao', qty: 1 },
  ]);
  log(`alice orders: ${alice.orderId}`);
  // Bob orders without subscribing; Carol orders and cancels hers while it is still placed.
  const bob = {
    user: bobPhone.user,
    openid: await openid(bobPhone),
    orderId: await order(bobPhone, [{ id: 'baozi', qty: 3 }]),
  };
  const carol = {
    user: carolPhone.user,
    openid: await openid(carolPhone),
    orderId: await order(carolPhone, [{ id: 'soy-milk', qty: 5 }]),
  };
  const carolOrders = carolPhone.wx.cloud.database().collection('orders');
  const cancelled = await carolOrders
    .where({ _id: carol.orderId, _openid: '{openid}', status: 'placed' })
    .update({ data: { status: 'cancelled' } });
  log(`carol cancels: ${cancelled.stats.updated} order`);

  // 3. What the rules refuse, as the phones see it.
  const bobDb = bobPhone.wx.cloud.database();
  refusals.readAnothersOrder = await refused(bobDb.collection('orders').doc(alice.orderId).get());
  refusals.listEveryOrder = await refused(bobDb.collection('orders').get());
  refusals.placeAReadyOrder = await refused(
    bobDb.collection('orders').add({ data: { items: [{ id: 'baozi', qty: 1 }], status: 'ready' } }),
  );
  refusals.markOwnOrderReady = await refused(
    bobDb
      .collection('orders')
      .doc(bob.orderId)
      .update({ data: { status: 'ready' } }),
  );
  refusals.writeTheMenu = await refused(
    bobDb
      .collection('menu')
      .doc('baozi')
      .update({ data: { price: 1 } }),
  );
  refusals.writeTheSummary = await refused(bobDb.collection('summaries').add({ data: { amount: 0 } }));
  refusals.customerCallsNotify = String(
    ((await callFunction(bobPhone, 'notify', { orderId: bob.orderId })) as { error?: string }).error,
  );
  refusals.customerCallsKitchen = String(
    ((await callFunction(bobPhone, 'kitchen', { action: 'queue' })) as { error?: string }).error,
  );
  log(`refused: ${JSON.stringify(refusals)}`);

  // 4. The chef marks Alice's and Bob's orders ready: kitchen -> notify -> subscription message (Alice only).
  const ready: MorningReport['ready'] = {};
  for (const customer of [alice, bob, carol])
    ready[customer.user] = await callFunction(chef, 'kitchen', { action: 'ready', orderId: customer.orderId });
  log(`kitchen: ${JSON.stringify(ready)}`);

  // 5. Alice reads her orders (the owner condition is required by the rules).
  const { data: aliceOrders } = await db
    .collection('orders')
    .where({ _openid: '{openid}' })
    .orderBy('placedAt', 'desc')
    .get();
  log(`alice's orders: ${aliceOrders.map((o) => `${String(o._id)} ${String(o.status)}`).join(', ')}`);

  // 6. Evening: the dailySummary timer fires (here on demand), and any phone reads the day's totals.
  const firing = await control.fireTrigger('dailySummary');
  const day = (firing.result as { day: string }).day;
  const { data: summary } = await bobDb.collection('summaries').doc(day).get();
  log(`summary ${day}: ${JSON.stringify(summary)}`);

  return { menu: menu as MorningReport['menu'], alice, bob, carol, refusals, ready, aliceOrders, summary };
}
