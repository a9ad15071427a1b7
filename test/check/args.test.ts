import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseFlags, UsageError } from '../../scripts/args';
import { REPO } from './fixture';

describe('parseFlags: strict flags for the kit scripts', () => {
  const options = { out: { type: 'string' }, rotate: { type: 'boolean' } } as const;
  const parse = (args: string[]) => parseFlags('npm run keys', args, options, '[--out DIR] [--rotate]');
  const usage = ' (usage: npm run keys -- [--out DIR] [--rotate])';

  it('returns the flags given', () => {
    expect(parse(['--out', 'keys', '--rotate'])).toEqual({ out: 'keys', rotate: true });
    expect(parse(['--out=keys'])).toEqual({ out: 'keys' });
    expect(parse([])).toEqual({});
  });

  test.each([
    [['--out'], '--out needs a value'],
    [['--out', '--rotate'], '--out needs a value'],
    [['--out='], '--out needs a value'],
    [['--rotate=yes'], '--rotate takes no value'],
    [['--outdir', 'x'], 'unknown option --outdir'],
    [['--bogus=1'], 'unknown option --bogus'],
    [['-o', 'x'], 'unknown option -o'],
    [['keys'], "unexpected argument 'keys'"],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parse(args)).toThrow(new UsageError(`npm run keys: ${message}${usage}`));
    expect(() => parse(args)).toThrow(expect.objectContaining({ exitCode: 2 }) as Error);
  });
});

/** Each script, run as npm runs it, with a bad command line: exit code 2 and one line on stderr, nothing done. */
const SCRIPTS: ReadonlyArray<readonly [string, string[], string]> = [
  // The case: `npm run keys -- --out` used to write to .keys/ silently.
  ['keys.ts', ['--out'], 'npm run keys: --out needs a value (usage: npm run keys -- [--out DIR] [--rotate | --force])'],
  ['keys.ts', ['--rotate', '--force'], 'npm run keys: --rotate keeps the old keys, --force replaces them: choose one'],
  [
    'check/index.ts',
    ['--only'],
    'npm run check: --only needs a value (usage: npm run check -- [--only a,b] [--skip a,b] [--root DIR])',
  ],
  ['package.ts', ['--root'], 'npm run package: --root needs a value (usage: npm run package -- [--root DIR])'],
  [
    'deploy.ts',
    ['--dry-run', '--desc'],
    'npm run deploy: --desc needs a value (usage: npm run deploy -- [--dry-run] [--version 1.2.3] [--desc "text"] [--root DIR])',
  ],
  [
    'shots/cli.ts',
    ['--only', 'login', '--ou', 'x'],
    'npm run shots: unknown option --ou (usage: npm run shots -- [--out DIR] [--only word,word])',
  ],
  ['bench.ts', ['--runs', '3'], 'npm run bench: unknown option --runs (usage: npm run bench)'],
  ['soak.ts', ['--users=10'], 'npm run soak: unknown option --users (usage: npm run soak)'],
  ['journey.ts', ['--verbose'], 'npm start: unknown option --verbose (usage: npm start)'],
  ['build.ts', ['--watch'], 'npm run build: unknown option --watch (usage: npm run build)'],
];

describe('every script refuses a bad command line', () => {
  const register = createRequire(__filename).resolve('ts-node/register/transpile-only');
  let results: { code: number | null; stdout: string; stderr: string }[];
  beforeAll(async () => {
    results = await Promise.all(
      SCRIPTS.map(
        ([script, args]) =>
          new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = execFile(
              process.execPath,
              ['-r', register, path.join(REPO, 'scripts', script), ...args],
              { cwd: REPO, encoding: 'utf8', timeout: 60_000 },
              (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
            );
          }),
      ),
    );
  }, 90_000);

  test.each(SCRIPTS.map(([script, args, message], index) => [script, args.join(' '), message, index] as const))(
    'scripts/%s %s',
    (_script, _args, message, index) => {
      expect(results[index]).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
    },
  );
});
