import { riskControlCalls } from '../../../cloudbase/calls/risk-control';
import { cloudFunction } from '../../../cloudbase/handler';
import { runLogin } from '../../../core/login';

/** Login: `{ code?, loginId?, refresh? }`, the caller's identity from the WeChat context (core/login.ts). */
export const main = cloudFunction(
  'login',
  (ctx, identity, event) => runLogin(ctx, { identity }, event),
  riskControlCalls,
);
