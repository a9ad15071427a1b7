/**
 * Benchmark baseline, NOT part of the kit: the classic backend style seen in many projects. Every launch sends a
 * fresh code, the function calls code2Session, queries the user by openid, then inserts or updates it.
 */
import { cloud, db } from '../../cloudbase/cloud';
import { code2Session } from '../../core/code2session';

export async function main(event: { code?: string }): Promise<unknown> {
  const { APPID } = cloud.getWXContext();
  const session = await code2Session(String(APPID), String(event.code));
  const users = db().collection('classic_users');
  const found = (await users.where({ openid: session.openid }).get()) as unknown as {
    data: Array<{ _id: string; loginCount: number }>;
  };
  const existing = found.data[0];
  if (existing) {
    await users.doc(existing._id).update({ data: { loginCount: existing.loginCount + 1, lastLoginAt: new Date() } });
    return { openid: session.openid, loginCount: existing.loginCount + 1 };
  }
  await users.add({ data: { openid: session.openid, loginCount: 1, createdAt: new Date(), lastLoginAt: new Date() } });
  return { openid: session.openid, loginCount: 1 };
}
