/**
 * `npm run soak`: 10,000 logins and profile updates by 1,000 simulated users on devcloud, with 10% of operations
 * carrying a random fault (error reply, connection reset, or reply lost after success) on a random database,
 * storage or WeChat call. Every operation is retried the way the client does (same loginId; a fresh wx.login code
 * each time) until it succeeds, as a user would. Then it checks what must hold and prints, as its last line:
 *
 *   soak: N operations, lost users 0, duplicated users 0, miscounted logins 0, untracked files 0, unhandled rejections 0
 *
 * It exits non-zero when any figure but N is not 0. Memory of devcloud and of the function instances is printed
 * before and after: it should stay flat.
 * Knobs (env): SOAK_OPERATIONS (10000), SOAK_USERS (1000), SOAK_FAULT_RATE (0.1), SOAK_CONCURRENCY (32), SOAK_SEED.
 */
import { randomBytes } from 'crypto';
import type { Envelope } from '../contracts';
import { DevCloudControl, startDevCloud, type FaultMode, type FaultSpec, type FaultTarget } from 'devcloud';
import { refuseFlags } from './args';

const OPERATIONS = Number(process.env.SOAK_OPERATIONS ?? 10_000);
const USERS = Number(process.env.SOAK_USERS ?? 1_000);
const FAULT_RATE = Number(process.env.SOAK_FAULT_RATE ?? 0.1);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32);
/** Attempts per operation; the last two run with the user's leftover faults cleared, as the weather clears. */
const ATTEMPTS = 6;

/** A small seeded generator (mulberry32), so a run can be repeated with SOAK_SEED. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const random = seeded(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** Calls worth failing, per target: those the login and profile flows make. */
const FAULTABLE: Array<{ target: FaultTarget; action: string }> = [
  { target: 'database', action: 'database.getDocument' },
  { target: 'database', action: 'database.modifyAndReturnDoc' },
  { target: 'database', action: 'database.insertDocument' },
  { target: 'database', action: 'database.modifyDocument' },
  { target: 'storage', action: 'storage.batchGetDownloadUrl' },
  { target: 'storage', action: 'storage.batchDeleteFile' },
  { target: 'wechat', action: 'jscode2session' },
  { target: 'cloudCall', action: 'security.msgSecCheck' },
];
const MODES: FaultMode[] = ['error', 'reset', 'lost'];

type Kind = 'loginWithCode' | 'loginWithoutCode' | 'nickname' | 'avatar';

interface SimUser {
  name: string;
  openid: string;
  /** Logical logins that succeeded: what loginCount must be. */
  logins: number;
  busy: boolean;
  /** Agreed to 《用户协议》和《隐私政策》 (recordConsent), which the profile actions need first, as on the page. */
  consented: boolean;
}

const unhandled = { count: 0 };
process.on('unhandledRejection', (reason) => {
  unhandled.count += 1;
  console.error('unhandled rejection in the soak driver:', reason);
});

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  refuseFlags('npm run soak');
  const cloud = await startDevCloud({ functionTimeoutMs: 30_000, maxInstancesPerFunction: 8 });
  const control = new DevCloudControl(cloud.url);
  try {
    const users: SimUser[] = [];
    for (let i = 0; i < USERS; i += 1) {
      const name = `soak-${i}`;
      users.push({ name, openid: cloud.user(name).openid, logins: 0, busy: false, consented: false });
    }
    console.log(`soak seed ${SEED}: ${OPERATIONS} operations by ${USERS} users, ${FAULT_RATE * 100}% with a fault`);
    const memoryBefore = memory();
    const instanceRss: number[] = [];
    let done = 0;
    let faulted = 0;
    let gaveUp = 0;
    const started = Date.now();

    const perform = async (user: SimUser, kind: Kind, attempt: number, loginId: string): Promise<boolean> => {
      const invoke = async (fn: string, event: Record<string, unknown>) => {
        try {
          const report = await control.invoke(fn, event, user.name);
          if (report.rssBytes) instanceRss.push(report.rssBytes);
          return report.error ? undefined : (report.result as Envelope<unknown>);
        } catch {
          return undefined; // the phone's call itself failed: unclear, retry
        }
      };
      // The profile page records the consent when the box is ticked, before the first save.
      const consented = async (): Promise<boolean> => {
        if (!user.consented)
          user.consented = (await invoke('account', { action: 'recordConsent', version: 1 }))?.ok === true;
        return user.consented;
      };
      switch (kind) {
        case 'loginWithCode':
          return (await invoke('login', { code: await control.loginCode(user.name), loginId }))?.ok === true;
        case 'loginWithoutCode':
          return (await invoke('login', { loginId }))?.ok === true;
        case 'nickname':
          if (!(await consented())) return false;
          return (
            (await invoke('account', { action: 'updateProfile', nickName: `用户${attempt}${loginId.slice(-4)}` }))
              ?.ok === true
          );
        case 'avatar': {
          if (!(await consented())) return false;
          const reserved = await invoke('account', { action: 'prepareAvatarUpload', extension: 'jpg' });
          if (!reserved?.ok) return false;
          const { cloudPath } = reserved.data as { cloudPath: string };
          const avatarFileID = await cloud.storage.putFile(cloudPath, randomBytes(64), user.openid);
          return (await invoke('account', { action: 'updateProfile', avatarFileID }))?.ok === true;
        }
      }
    };

    const operation = async (user: SimUser): Promise<void> => {
      // A user's first operation is a login with a code, as on a first launch; then a mix.
      const kind: Kind =
        user.logins === 0
          ? 'loginWithCode'
          : pick(['loginWithCode', 'loginWithoutCode', 'loginWithoutCode', 'nickname', 'avatar']);
      const loginId = `soak${randomBytes(8).toString('hex')}`;
      if (random() < FAULT_RATE) {
        const { target, action } = pick(FAULTABLE);
        const spec: FaultSpec = {
          target,
          mode: pick(MODES),
          skip: Math.floor(random() * 2),
          match: { action, openid: user.openid },
        };
        await control.injectFault(spec);
        faulted += 1;
      }
      for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
        if (attempt === ATTEMPTS - 2) await control.clearFaults({ openid: user.openid });
        if (await perform(user, kind, attempt, loginId)) {
          if (kind === 'loginWithCode' || kind === 'loginWithoutCode') user.logins += 1;
          return;
        }
      }
      gaveUp += 1;
      console.error(`gave up: ${kind} for ${user.name}`);
    };

    // Workers take a free user (one operation per user at a time, as one phone does) until all are done.
    let issued = 0;
    const worker = async () => {
      while (issued < OPERATIONS) {
        const user = pick(users.filter((candidate) => !candidate.busy)) as SimUser | undefined;
        if (!user) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          continue;
        }
        issued += 1;
        user.busy = true;
        try {
          await operation(user);
        } finally {
          user.busy = false;
          await control.clearFaults({ openid: user.openid }); // a fault that never fired belongs to this operation
        }
        done += 1;
        if (done % 1000 === 0) console.log(`  ${done} operations (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const memoryAfter = memory();

    // What must hold.
    const docs = await control.documents<{
      _id: string;
      _openid: string;
      loginCount: number;
      avatarUrl?: string;
      files?: Record<string, { path: string }>;
    }>('users');
    const byOpenid = new Map<string, typeof docs>();
    for (const doc of docs) byOpenid.set(doc._openid, [...(byOpenid.get(doc._openid) ?? []), doc]);
    const files = await cloud.storage.list();
    let lost = 0;
    let duplicated = 0;
    let miscounted = 0;
    let untracked = 0;
    for (const user of users) {
      const own = byOpenid.get(user.openid) ?? [];
      if (user.logins > 0 && own.length === 0) lost += 1;
      if (own.length > 1) duplicated += 1;
      const doc = own[0];
      if (user.logins > 0 && doc && Number(doc.loginCount) !== user.logins) {
        miscounted += 1;
        console.error(`miscounted: ${user.name} loginCount ${doc.loginCount}, ${user.logins} logins succeeded`);
      }
      const tracked = new Set(Object.values(doc?.files ?? {}).map((file) => file.path));
      for (const fileID of files.filter((id) => id.includes(`/avatars/${user.openid}/`))) {
        if (fileID !== doc?.avatarUrl && !tracked.has(fileID.slice(fileID.indexOf('avatars/')))) untracked += 1;
      }
    }
    const crashes = cloud.logs.filter((entry) => /unhandledRejection/.test(entry.line)).length;
    const seconds = (Date.now() - started) / 1000;

    console.log(
      `\n${done} operations in ${seconds.toFixed(0)} s, ${faulted} with an injected fault, ${gaveUp} given up`,
    );
    console.log(
      `function invocations ${cloud.stats().functions.invocations}, cold starts ${cloud.stats().functions.coldStarts}`,
    );
    console.log(`devcloud RSS           before ${mb(memoryBefore)}, after ${mb(memoryAfter)}`);
    const firstHundred = instanceRss.slice(0, 100);
    const lastHundred = instanceRss.slice(-100);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    console.log(
      `function instance RSS  first 100 invocations median ${mb(median(firstHundred))}, last 100 median ${mb(median(lastHundred))}, peak ${mb(cloud.stats().functions.peakInstanceRssBytes)}`,
    );
    const rejections = unhandled.count + crashes;
    console.log(
      `soak: ${done} operations, lost users ${lost}, duplicated users ${duplicated}, miscounted logins ${miscounted}, untracked files ${untracked}, unhandled rejections ${rejections}`,
    );
    process.exitCode = lost + duplicated + miscounted + untracked + rejections > 0 || gaveUp > 0 ? 1 : 0;
  } finally {
    await cloud.stop();
  }
}

/** devcloud runs in this process: its memory is this process's resident set. */
function memory(): number {
  return process.memoryUsage().rss;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
