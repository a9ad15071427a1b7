import { createDevice, type Device } from './device';

/**
 * Installs a global `wx` that forwards to the simulated device put in use with useDevice(). It must be installed
 * before miniprogram-simulate is required. simulate merges its own stubs with `Object.assign(stubs, global.wx)`,
 * so the forwarder is a plain object of forwarding functions (copied as they are), not a Proxy (which it would
 * not see into).
 */
let current: Device | undefined;
/** The global wx's forwarders, to put back after a phone whose older base library lacked some. */
let installed: Record<string, unknown> | undefined;

export function useDevice(device: Device): void {
  current = device;
  const global = (globalThis as unknown as { wx?: Record<string, unknown> }).wx;
  // `typeof wx.x` must answer as on this phone: simulate copied the forwarders into its own object, so that is the
  // one to keep in step.
  if (installed && global) {
    for (const [key, forwarder] of Object.entries(installed)) {
      if (key in device.wx) global[key] = forwarder;
      else Reflect.deleteProperty(global, key);
    }
  }
}

function activeWx(): Record<string, unknown> {
  if (!current) throw new Error('wx used before useDevice()');
  return current.wx;
}

/** Forwarders for every API of a device's wx, nested objects (wx.cloud) included. */
function forwarders(
  template: Record<string, unknown>,
  resolve: () => Record<string, unknown>,
): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (typeof value === 'function') {
      target[key] = (...args: unknown[]) => (resolve()[key] as (...a: unknown[]) => unknown)(...args);
    } else if (value && typeof value === 'object') {
      target[key] = forwarders(value as Record<string, unknown>, () => resolve()[key] as Record<string, unknown>);
    }
  }
  return target;
}

export function installForwardingWx(): void {
  const template = createDevice({ devcloudUrl: 'http://127.0.0.1:9', user: 'template' }).wx as unknown as Record<
    string,
    unknown
  >;
  installed = forwarders(template, activeWx);
  (globalThis as unknown as { wx: unknown }).wx = { ...installed };
}
