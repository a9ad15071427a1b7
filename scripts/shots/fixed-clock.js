// Preloaded (node --require) into `npm run shots` and the cloud functions it runs: when SHOTS_CLOCK holds an
// instant, the process's clock starts there and runs on at real speed, so dates shown on a page (注册于 ...) are
// the same in every picture on every day. Plain JavaScript: function instances preload it without ts-node.
'use strict';
const start = process.env.SHOTS_CLOCK;
if (start && !globalThis.__shotsClock) {
  const RealDate = Date;
  const offset = RealDate.parse(start) - RealDate.now();
  if (Number.isNaN(offset)) throw new Error(`SHOTS_CLOCK is not a date: ${start}`);
  const now = () => RealDate.now() + offset;
  // A Proxy rather than a subclass: Date.prototype stays the same object, so instanceof Date holds for every date.
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args) => (args.length === 0 ? new target(now()) : new target(...args)),
    apply: () => new RealDate(now()).toString(),
    get: (target, property) => (property === 'now' ? now : Reflect.get(target, property)),
  });
  globalThis.__shotsClock = true;
}
