/**
 * npm run test:busy (scripts/test-busy.ts): the competitors run while the command runs and are gone afterwards,
 * whether the command passed or failed, or the script was interrupted (SIGINT, SIGTERM) or killed (SIGKILL).
 * Cheap commands stand in for npm test. Everything is checked on process ids, never on durations.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import { constants } from 'os';
import { join } from 'path';
import { runBusy } from '../../scripts/test-busy';

const ROOT = join(__dirname, '..', '..');

/** The process exists and is not a zombie (an exited orphan that its new parent has not reaped yet). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Waits until the processes are gone. Orphans are not our children, so there is no exit event to wait for: this
 * polls their pids, and the bound (far past what exiting takes under load) only ends a run in which they never go.
 */
async function gone(pids: readonly number[]): Promise<boolean> {
  for (let polls = 0; polls < 3000; polls += 1) {
    if (!pids.some(alive)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

/**
 * The code of a command that, while it runs, counts its siblings running the competitor's code (read from /proc):
 * those are the competitors runBusy started. It prints its pid and theirs as a JSON line (unless told not to), then
 * runs `rest`.
 */
function probe(rest: string, print = true): string {
  return `const fs = require('fs');
    const siblings = fs.readdirSync('/proc').filter((entry) => /^\\d+$/.test(entry)).filter((pid) => {
      try {
        const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(pid) === process.pid || Number(fields[1]) !== process.ppid || fields[0] === 'Z') return false;
        return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes("process.on('disconnect'");
      } catch { return false; }
    }).map(Number);
    ${print ? 'console.log(JSON.stringify({ command: process.pid, siblings }));' : ''}
    ${rest}`;
}

/**
 * A stand-in for npm test that runs until a signal ends it, or until its parent is gone (a killed driver must leave
 * nothing behind). Node's process.ppid is read once at start-up, so the current parent comes from /proc.
 */
const HANG = `const parent = () => Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[1]);
    const first = parent();
    setInterval(() => { if (parent() !== first) process.exit(0); }, 20);`;

interface Seen {
  command: number;
  siblings: number[];
}

/** Reads the JSON lines a process prints: `{started: pids}` from the driver, then the probe's line. */
function lines(child: ChildProcessWithoutNullStreams): { started: Promise<number[]>; seen: Promise<Seen> } {
  let out = '';
  let onStarted: (pids: number[]) => void = () => undefined;
  let onSeen: (seen: Seen) => void = () => undefined;
  const started = new Promise<number[]>((resolve) => (onStarted = resolve));
  const seen = new Promise<Seen>((resolve) => (onSeen = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const line of out.split('\n').slice(0, -1)) {
      const message = JSON.parse(line) as { started?: number[] } & Partial<Seen>;
      if (message.started) onStarted(message.started);
      if (message.command !== undefined) onSeen(message as Seen);
    }
    out = out.slice(out.lastIndexOf('\n') + 1);
  });
  return { started, seen };
}

/** runBusy in a process of its own (as `npm run test:busy` runs it), running the hanging probe. */
function driver(): { child: ChildProcessWithoutNullStreams; exit: Promise<number | null> } & ReturnType<typeof lines> {
  const script = `require('./scripts/test-busy').runBusy([], {
    command: [process.execPath, '-e', ${JSON.stringify(probe(HANG))}],
    onStarted: (pids) => console.log(JSON.stringify({ started: pids })),
  }).then((code) => process.exit(code));`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (stderr) console.error(stderr);
      resolve(code);
    }),
  );
  return { child, exit, ...lines(child) };
}

test.each([
  ['passes', 0],
  ['fails', 3],
])(
  'the competitors run while the command runs; when it %s, its exit code is the answer, once they are gone',
  async (_, exitCode) => {
    let started: number[] = [];
    const code = await runBusy([], {
      burners: 2,
      command: [process.execPath, '-e', probe(`process.exit(siblings.length === 2 ? ${exitCode} : 99);`, false)],
      onStarted: (pids) => {
        started = pids;
      },
    });
    expect(started).toHaveLength(2);
    expect(code).toBe(exitCode); // 99 had the command not seen both competitors
    expect(started.some(alive)).toBe(false); // stopped before runBusy answered
  },
);

test.each(['SIGINT', 'SIGTERM'] as const)(
  'the script gets %s: it passes the signal on to the command, then stops the competitors',
  async (signal) => {
    const run = driver();
    const [started, seen] = await Promise.all([run.started, run.seen]);
    expect(started).toHaveLength(2);
    expect(seen.siblings.sort()).toEqual([...started].sort()); // the command ran while both competitors did
    expect([...started, seen.command].every(alive)).toBe(true);
    run.child.kill(signal);
    expect(await run.exit).toBe(128 + constants.signals[signal]); // the command ended by the signal
    expect([...started, seen.command].some(alive)).toBe(false);
  },
);

test('killed outright (SIGKILL), the script leaves no competitor behind: they notice and exit by themselves', async () => {
  const run = driver();
  const [started, seen] = await Promise.all([run.started, run.seen]);
  expect([...started, seen.command].every(alive)).toBe(true);
  run.child.kill('SIGKILL');
  await run.exit;
  expect(await gone([...started, seen.command])).toBe(true);
});
