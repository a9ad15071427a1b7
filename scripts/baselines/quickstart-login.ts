/**
 * Benchmark baseline, NOT part of the kit: the WeChat cloud quickstart style. One call returns the caller's
 * OPENID from the context; nothing is stored, so there is no profile, no login count and no session_key.
 */
import { cloud } from '../../cloudbase/cloud';

export async function main(): Promise<unknown> {
  const { OPENID, APPID } = cloud.getWXContext();
  return { openid: OPENID, appid: APPID };
}
