/**
 * `npm run test:busy`: the whole `npm test` while CPU-bound processes (one per core, two by default) compete for the
 * machine, as on a laptop that is doing other work. The tests must not depend on wall-clock speed, so it must pass.
 *
 *   npm run test:busy                     npm test under load
 *   npm run test:busy -- <jest args>      e.g. one file: npm run test:busy -- test/functions/races.test.ts
 *   TEST_BUSY_BURNERS=4 npm run test:busy more competitors
 *
 * The competitors are started and stopped by this script: when the tests end (passed or failed) and when it is
 * interrupted (Ctrl-C, SIGTERM). A competitor also exits by itself when this script's process is gone, even killed
 * with SIGKILL: it burns in slices and watches its IPC channel to the parent between them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

/** A competitor: 100% of a core, in 50 ms slices so it can notice that its parent has gone. */
const BURNER = `
process.on('disconnect', () => process.exit(0));
const burn = () => { const until = Date.now() + 50; while (Date.now() < until) Math.sqrt(Math.random()); setImmediate(burn); };
burn();
`;

export interface BusyOptions {
  /** How many competitors; default TEST_BUSY_BURNERS or 2 (the 2 cores this kit is tested on). */
  burners?: number;
  /** What runs under load; default `npm test` with the given jest arguments. */
  command?: readonly string[];
  /** Told once the competitors run, with their pids. */
  onStarted?: (pids: number[]) => void;
}

function startBurner(): ChildProcess {
  return spawn(process.execPath, ['-e', BURNER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

function stopAll(burners: ChildProcess[]): Promise<void> {
  return Promise.all(
    burners.map(
      (burner) =>
        new Promise<void>((resolve) => {
          if (burner.exitCode !== null || burner.signalCode !== null) return resolve();
          burner.once('exit', () => resolve());
          burner.kill('SIGKILL');
        }),
    ),
  ).then(() => undefined);
}

/** Runs the command while the competitors burn; resolves with its exit code once the competitors are gone. */
export async function runBusy(jestArgs: readonly string[], options: BusyOptions = {}): Promise<number> {
  // Listening first: until a listener exists, SIGINT kills this process at once, leaving the competitors to notice
  // on their own. A signal that comes is handled on the event loop, so after the synchronous start below has set
  // `running`.
  const forward = (signal: NodeJS.Signals) => () => {
    running.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const count = options.burners ?? (Number(process.env.TEST_BUSY_BURNERS) || 2);
  const burners = Array.from({ length: count }, startBurner);
  options.onStarted?.(burners.map((burner) => burner.pid!));
  const command = options.command ?? ['npm', 'test', ...(jestArgs.length > 0 ? ['--', ...jestArgs] : [])];
  const [file, ...args] = command as [string, ...string[]];
  const running = spawn(file, args, { stdio: 'inherit' });
  try {
    return await new Promise<number>((resolve) => {
      running.once('error', (error) => {
        console.error(`test:busy: cannot run ${command.join(' ')}: ${error.message}`);
        resolve(1);
      });
      running.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await stopAll(burners);
  }
}

// Run as a script (not when a test imports runBusy).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) {
  const count = Number(process.env.TEST_BUSY_BURNERS) || 2;
  console.log(`test:busy: npm test with ${count} CPU-bound competitors on ${os.availableParallelism()} cores`);
  const started = Date.now();
  void runBusy(process.argv.slice(2), {
    burners: count,
    onStarted: (pids) => console.log(`test:busy: competitors running (pids ${pids.join(', ')})`),
  }).then((code) => {
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`test:busy: ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${seconds} s; competitors stopped`);
    process.exit(code);
  });
}
