// Every evening at 22:00 (UTC+8, CloudBase's timer time zone): the day's totals per dish, from the orders that were
// not cancelled, priced from the menu (never from what a phone wrote), into summaries/<YYYY-MM-DD>.
const cloud = require('wx-server-sdk');

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
const db = cloud.database();
const _ = db.command;
const $ = db.command.aggregate;

const UTC8 = 8 * 3600 * 1000;

/** The UTC+8 calendar day of an instant, and the instants it starts and ends at. */
function dayOf(time) {
  const local = new Date(time.getTime() + UTC8);
  const day = local.toISOString().slice(0, 10);
  const start = new Date(Date.parse(`${day}T00:00:00.000Z`) - UTC8);
  return { day, start, end: new Date(start.getTime() + 24 * 3600 * 1000) };
}

exports.main = async (event) => {
  // A timer's event: {Type: 'Timer', TriggerName, Time} (the scheduled instant).
  const { day, start, end } = dayOf(event && event.Time ? new Date(event.Time) : new Date());
  const ofTheDay = { placedAt: _.gte(start).and(_.lt(end)), status: _.neq('cancelled') };
  const { list } = await db
    .collection('orders')
    .aggregate()
    .match(ofTheDay)
    .unwind('$items')
    .match({ 'items.qty': _.gt(0) })
    .lookup({ from: 'menu', localField: 'items.id', foreignField: '_id', as: 'dish' })
    .unwind('$dish')
    .group({
      _id: '$items.id',
      name: $.first('$dish.name'),
      qty: $.sum('$items.qty'),
      amount: $.sum($.multiply(['$items.qty', '$dish.price'])),
    })
    .sort({ _id: 1 })
    .limit(1000)
    .end();
  const { total: orders } = await db.collection('orders').where(ofTheDay).count();
  const dishes = list.map((row) => ({ id: row._id, name: row.name, qty: row.qty, amount: row.amount }));
  const summary = {
    day,
    orders,
    dishes,
    amount: dishes.reduce((sum, dish) => sum + dish.amount, 0),
    at: db.serverDate(),
  };
  await db.collection('summaries').doc(day).set({ data: summary });
  return { ok: true, day, orders, amount: summary.amount };
};
