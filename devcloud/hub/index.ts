/**
 * The hub: composes the wings into one local cloud (cloud.ts), serves the CloudBase endpoint (cloudbase.ts), the
 * WeChat fake's and storage's URLs, the console's page and the control API (routes/, one table per route group).
 * It emulates nothing itself.
 */
export { DevCloud, type DevCloudOptions } from './cloud';
export { startDevCloud } from './start';
