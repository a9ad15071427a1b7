/**
 * protocol/: every shape that crosses devcloud's HTTP API, declared once, for the hub that answers, the phone and
 * the typed client that ask, and the console that shows. Types only, plus the wx error helper: it imports nothing.
 */
export type * from './cloud';
export type * from './console';
export type * from './faults';
export type * from './functions';
export type * from './wechat';
export type { WxError } from './wx';
export { wxError } from './wx';
