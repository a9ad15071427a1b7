/**
 * The command line's flags (cli.ts parseCli): defaults taken from the project in the current folder, paths resolved
 * against it, and clear refusals (exit code 2 in the bin) for mistakes. The bin itself runs in outside.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseCli, UsageError } from '../cli';
import { collectionsInRulesDir, projectFunctionsDir } from '../hub/project';

let project: string;
beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'devcloud-cli-'));
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

function usageError(args: string[]): string {
  try {
    parseCli(args, project);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`${args.join(' ')} was accepted`);
}

describe('defaults', () => {
  test('./cloudfunctions, the store in ./.devcloud, port 8787, human output', () => {
    expect(parseCli([], project)).toEqual({
      functionsDir: join(project, 'cloudfunctions'),
      dataDir: join(project, '.devcloud'),
      port: 8787,
      json: false,
    });
  });

  test("the functions folder is project.config.json's cloudfunctionRoot when there is one", () => {
    writeFileSync(join(project, 'project.config.json'), JSON.stringify({ cloudfunctionRoot: 'server/functions/' }));
    expect(parseCli([], project)).toMatchObject({ functionsDir: join(project, 'server', 'functions') });
    writeFileSync(join(project, 'project.config.json'), JSON.stringify({ miniprogramRoot: 'mp/' }));
    expect(projectFunctionsDir(project)).toBe(join(project, 'cloudfunctions'));
    writeFileSync(join(project, 'project.config.json'), '{ not json');
    expect(() => projectFunctionsDir(project)).toThrow(/project\.config\.json is not valid JSON/);
  });

  test('./database-rules, when the project has one, declares a collection per <collection>.json', () => {
    mkdirSync(join(project, 'database-rules'));
    for (const name of ['users.json', 'login_logs.json', 'README.md'])
      writeFileSync(join(project, 'database-rules', name), '{}');
    expect(parseCli([], project)).toMatchObject({ rulesDir: join(project, 'database-rules') });
    expect(collectionsInRulesDir(join(project, 'database-rules'))).toEqual(['login_logs', 'users']);
  });
});

test('every flag, relative paths resolved against the current folder', () => {
  for (const dir of ['fns', 'seed', 'rules']) mkdirSync(join(project, dir));
  const args = [
    '--functions',
    'fns',
    '--data',
    'store',
    '--import',
    'seed',
    '--rules',
    'rules',
    '--export-on-exit',
    'out',
  ];
  expect(parseCli([...args, '--port', '0', '--host', 'localhost', '--json'], project)).toEqual({
    functionsDir: join(project, 'fns'),
    dataDir: join(project, 'store'),
    importDir: join(project, 'seed'),
    rulesDir: join(project, 'rules'),
    exportDir: join(project, 'out'),
    port: 0,
    json: true,
  });
  expect(parseCli(['--memory', '--host', '127.0.0.1'], project)).not.toHaveProperty('dataDir');
  const env = { login: { AUTH_TOKEN_PRIVATE_KEY: 'pem', WECHAT_API_TIMEOUT_MS: '800' }, account: {} };
  expect(parseCli(['--function-env', JSON.stringify(env)], project)).toMatchObject({ functionEnv: env });
  expect(parseCli(['--help'], project)).toBe('help');
});

test('--function-timeout S: whole seconds from 1 to 3600, for functions whose config.json sets none', () => {
  expect(parseCli([], project)).not.toHaveProperty('functionTimeoutSeconds');
  expect(parseCli(['--function-timeout', '60'], project)).toMatchObject({ functionTimeoutSeconds: 60 });
  expect(parseCli(['--function-timeout', '1'], project)).toMatchObject({ functionTimeoutSeconds: 1 });
  expect(parseCli(['--function-timeout', '3600'], project)).toMatchObject({ functionTimeoutSeconds: 3600 });
  for (const wrong of ['0', '3601', '2.5', '-1', '10s', ''])
    expect(() => parseCli([`--function-timeout=${wrong}`], project)).toThrow(
      `--function-timeout ${wrong} is not a whole number of seconds from 1 to 3600`,
    );
});

test("security rules: --rules DIR, else the project's database-rules/ when it exists, else none", () => {
  expect(parseCli([], project)).not.toHaveProperty('rulesDir');
  mkdirSync(join(project, 'database-rules'));
  expect(parseCli([], project)).toMatchObject({ rulesDir: join(project, 'database-rules') });
  mkdirSync(join(project, 'rules'));
  expect(parseCli(['--rules', 'rules'], project)).toMatchObject({ rulesDir: join(project, 'rules') });
});

test.each([
  [['--host', '0.0.0.0'], /--host 0\.0\.0\.0 refused: devcloud serves loopback only/],
  [['--host', '192.168.1.5'], /--host 192\.168\.1\.5 refused/],
  [['--host', '::'], /--host :: refused/],
  [['--memory', '--data', 'x'], /--memory and --data exclude each other/],
  [['--port', '70000'], /--port 70000 is not a port number/],
  [['--port', 'eighty'], /--port eighty is not a port number/],
  [['--port', ''], /--port {2}is not a port number/],
  [['--functions', 'nowhere'], /--functions nowhere: no such folder/],
  [['--import', 'nowhere'], /--import nowhere: no such folder/],
  [['--rules', 'nowhere'], /--rules nowhere: no such folder/],
  [['--import'], /--import/],
  [['--rules', 'nowhere'], /--rules nowhere: no such folder/],
  [['--verbose'], /Unknown option '--verbose'/],
  [['--function-env', '{login:1}'], /--function-env is not JSON/],
  [['--function-env', '{"login":{"N":1}}'], /--function-env must be \{"<function>": \{"<NAME>": "<value>"/],
  [['--function-env', '["login"]'], /--function-env must be/],
  [['serve'], /serve/],
])('%j is refused', (args, message) => {
  expect(usageError(args)).toMatch(message);
});
