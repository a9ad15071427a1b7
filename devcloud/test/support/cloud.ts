import { join } from 'path';
import { DevCloudControl } from '../../phone/control';
import { startDevCloud, type DevCloud, type DevCloudOptions } from '../../hub';

/**
 * The cloud functions devcloud's own tests run when they name none: the kit's built ones (the package lives in the
 * kit's repository; `npm test` builds them first). Tests of the runtime and the cloud calls bring their own.
 */
export const KIT_FUNCTIONS = join(__dirname, '..', '..', '..', 'cloudfunctions');
/** The kit's security rules: they declare the collections its functions use (users, sessions, ...). */
export const KIT_RULES = join(__dirname, '..', '..', '..', 'database-rules');

export interface TestCloud {
  control: DevCloudControl;
  /** Always set here (the cloud runs in this process); optional so tests read it as the kit's harness does. */
  cloud?: DevCloud;
  stop(): Promise<void>;
}

/**
 * A devcloud for one test file, in memory, in this process, with the kit's collections (whatever the current folder);
 * tests that use others declare them (`collections`).
 */
export async function startTestCloud(options: DevCloudOptions = {}): Promise<TestCloud> {
  const cloud = await startDevCloud({
    functionsDir: KIT_FUNCTIONS,
    timers: false, // the kit's admin trigger fires daily at 03:00 UTC+8; tests that want timers say so
    rulesDir: KIT_RULES,
    functionTimeoutMs: 60_000, // a safety net against load (two cores shared by jest workers); prod's default is 3 s
    ...options,
  });
  return { cloud, control: new DevCloudControl(cloud.url), stop: () => cloud.stop() };
}

let counter = 0;
/** A user name no other test uses, so tests sharing a devcloud never see each other's documents. */
export function uniqueUser(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Date.now().toString(36)}`;
}
