// The kitchen's counter: staff mark an order ready, and the customer is told (through the notify function).
// Called from the staff's phones: wx.cloud.callFunction({name: 'kitchen', data: {action: 'ready', orderId}}).
const cloud = require('wx-server-sdk');

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
const db = cloud.database();

/** The staff's OPENIDs, comma separated (config.json envVariables; set yours in the CloudBase console). */
function isStaff(openid) {
  return (process.env.STAFF_OPENIDS || '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean)
    .includes(openid);
}

exports.main = async (event) => {
  const { OPENID } = cloud.getWXContext();
  if (!OPENID || !isStaff(OPENID)) return { ok: false, error: 'FORBIDDEN' };
  switch (event && event.action) {
    case 'queue': {
      // The cloud function reads every order: security rules bind clients only.
      const { data } = await db.collection('orders').where({ status: 'placed' }).orderBy('placedAt', 'asc').get();
      return { ok: true, orders: data.map((order) => ({ id: order._id, items: order.items })) };
    }
    case 'ready': {
      if (typeof event.orderId !== 'string' || event.orderId === '') return { ok: false, error: 'INVALID_ARGUMENT' };
      // Only a placed order becomes ready: a cancelled or already ready one is left as it is.
      const { stats } = await db
        .collection('orders')
        .where({ _id: event.orderId, status: 'placed' })
        .update({ data: { status: 'ready', readyAt: db.serverDate() } });
      if (stats.updated !== 1) return { ok: false, error: 'NOT_PLACED' };
      const { result } = await cloud.callFunction({ name: 'notify', data: { orderId: event.orderId } });
      return { ok: true, notified: Boolean(result && result.notified) };
    }
    default:
      return { ok: false, error: 'INVALID_ARGUMENT' };
  }
};
