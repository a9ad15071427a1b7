// Tells a customer their order is ready with a subscription message (一次性订阅: one message per acceptance of
// wx.requestSubscribeMessage). Only other functions call it: a phone calling it directly is refused.
const cloud = require('wx-server-sdk');

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
const db = cloud.database();

/** The "order ready" template (MP console > 订阅消息); fields character_string1 (order) and thing2 (note). */
const TEMPLATE = process.env.ORDER_READY_TEMPLATE;

exports.main = async (event) => {
  // A function called by another function sees SOURCE "<caller's source>,scf".
  const { SOURCE } = cloud.getWXContext();
  if (String(SOURCE).split(',').pop() !== 'scf') return { ok: false, error: 'FORBIDDEN' };
  const { data: orders } = await db.collection('orders').where({ _id: event.orderId }).get();
  const order = orders[0];
  if (!order || order.status !== 'ready') return { ok: false, error: 'NOT_READY' };
  try {
    await cloud.openapi.subscribeMessage.send({
      touser: order._openid,
      templateId: TEMPLATE,
      page: `pages/order/order?id=${order._id}`,
      data: {
        character_string1: { value: order._id.slice(-8) },
        thing2: { value: '您的早餐已做好，请到窗口取餐' },
      },
    });
    return { ok: true, notified: true };
  } catch (error) {
    // 43101: the customer did not subscribe (or used up their one message). The order is ready all the same.
    if (error.errCode === 43101) return { ok: true, notified: false };
    throw error;
  }
};
