import type { Envelope } from '../contracts';
import { envConfig } from '../core/config';
import type { Identity, KitContext } from '../core/ports';
import { answer } from '../core/run';
import { cloudAvatarFiles } from './avatar-files';
import { callerIdentity } from './identity';
import { cloudStore } from './store';
import { cloudWeChat, type CloudCalls } from './wechat';

/**
 * What a use case runs with inside a cloud function: the CloudBase database and storage, cloud calls, and the
 * function's environment variables, read at call time (a changed variable needs no redeploy).
 */
export function cloudContext(identity: Identity | undefined, calls: CloudCalls = {}): KitContext {
  return {
    store: cloudStore,
    wechat: cloudWeChat(identity?.appid ?? '', calls),
    config: envConfig(process.env),
    ...(identity ? { avatarFiles: cloudAvatarFiles(identity) } : {}),
  };
}

/**
 * A cloud function of the kit: the caller's identity from the WeChat context (never from the event), then the use
 * case. Without an identity (not called from the mini-program) it answers NO_IDENTITY. Nothing is thrown to the
 * runtime: a throw would reach the client as an opaque "cloud function execution error".
 */
export function cloudFunction<T>(
  name: string,
  run: (ctx: KitContext, identity: Identity, event: unknown) => Promise<Envelope<T>>,
  calls: CloudCalls = {},
): (event: unknown, context?: unknown) => Promise<Envelope<T>> {
  return async (event) => {
    let identity: Identity;
    try {
      identity = callerIdentity();
    } catch (error) {
      return answer<T>(name, () => Promise.reject(error));
    }
    return run(cloudContext(identity, calls), identity, event);
  };
}
