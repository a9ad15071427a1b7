import { JSDOM } from 'jsdom';
import type * as Simulate from 'miniprogram-simulate';
import { installForwardingWx } from 'devcloud';

/**
 * miniprogram-simulate outside jest (the journey, the pictures): it renders into a DOM and merges a global `wx`
 * into its stubs when first required, so this plain Node process gets a jsdom window and devcloud's
 * device-forwarding `wx` first. Loaded once per process.
 */
let simulate: typeof Simulate | undefined;

export type RenderedPage = ReturnType<typeof Simulate.render>;

export function loadSimulate(): typeof Simulate {
  if (simulate) return simulate;
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>');
  Object.assign(globalThis, {
    window: dom.window,
    document: dom.window.document,
    Node: dom.window.Node,
    Event: dom.window.Event,
    HTMLElement: dom.window.HTMLElement,
    // j-component builds its events with the global constructors; Node's own are refused by jsdom.
    CustomEvent: dom.window.CustomEvent,
    TouchEvent: dom.window.TouchEvent,
  });
  installForwardingWx();
  // simulate requires a page by its extensionless path, and Node tries .json before a TypeScript loader's .ts:
  // login.json would win over login.ts. Move .json last, as jest's moduleFileExtensions order does in the tests.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the documented way to order loaders, still honoured
  const extensions = (require as unknown as NodeJS.Require).extensions;
  const jsonLoader = extensions['.json'];
  if (jsonLoader) {
    Reflect.deleteProperty(extensions, '.json');
    extensions['.json'] = jsonLoader;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  simulate = require('miniprogram-simulate') as typeof Simulate;
  return simulate;
}
