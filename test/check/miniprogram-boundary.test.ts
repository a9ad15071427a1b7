/**
 * WeChat DevTools uploads only miniprogram/: a value import that resolves outside it compiles to a require() of a
 * file the phone does not have. The kit's ESLint config refuses it with kit/miniprogram-boundary
 * (scripts/eslint/miniprogram-boundary.mjs), at any depth; this lints planted samples at mini-program paths with
 * that very config. npm run package catches the same mistakes in the compiled output (test/check/package.test.ts).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const RULE = 'kit/miniprogram-boundary';

/** The rule's messages per sample, from the kit's eslint.config.mjs in a child process (jest's VM refuses it). */
function boundaryMessages(samples: ReadonlyArray<readonly [string, string]>): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const path = require('path');
    const samples = JSON.parse(process.argv[1]);
    const eslint = new ESLint({
      overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
      ruleFilter: ({ ruleId }) => ruleId === ${JSON.stringify(RULE)},
    });
    (async () => {
      const out = [];
      for (const [file, code] of samples) {
        const [result] = await eslint.lintText(code, { filePath: path.resolve(file) });
        const fatal = result.messages.find((m) => m.fatal);
        if (fatal) throw new Error(file + ': ' + fatal.message);
        out.push(result.messages.filter((m) => m.ruleId === ${JSON.stringify(RULE)}).map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ['-e', script, JSON.stringify(samples)], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[][];
}

const VALUE = /outside miniprogram\/: DevTools uploads only miniprogram\/, so this require\(\) fails on a phone/;
const SERVER = /is server-side code and never reaches the client, not even as types/;

/** [file, code, what the message must say]. */
const REFUSED: ReadonlyArray<readonly [string, string, RegExp]> = [
  // The mistake from the issue: a page (depth 3) takes a runtime value from contracts/.
  [
    'miniprogram/pages/login/probe.ts',
    "import { ERROR_CODES } from '../../../contracts';\nexport const c = ERROR_CODES;\n",
    /'\.\.\/\.\.\/\.\.\/contracts' resolves to contracts, outside miniprogram/,
  ],
  ['miniprogram/app-probe.ts', "import { x } from '../contracts/errors';\nexport const y = x;\n", VALUE],
  ['miniprogram/components/a/b/probe.ts', "import { x } from '../../../../contracts';\nexport const y = x;\n", VALUE],
  ['miniprogram/services/probe.ts', "export { ERROR_CODES } from '../../contracts';\n", VALUE],
  ['miniprogram/services/probe.ts', "export * from '../../contracts';\n", VALUE],
  ['miniprogram/services/probe.ts', "import '../../contracts';\n", VALUE],
  ['miniprogram/services/probe.ts', "export const load = () => import('../../contracts');\n", VALUE],
  [
    'miniprogram/services/probe.ts',
    "declare const require: (id: string) => unknown;\nrequire('../../contracts');\n",
    VALUE,
  ],
  // server/ at depth 2 (services/) and 3 (pages/x/), which the old `../../server/*` pattern let through.
  [
    'miniprogram/services/probe.ts',
    "import { defineHandler } from '../../server/handler';\nexport const h = defineHandler;\n",
    SERVER,
  ],
  [
    'miniprogram/pages/login/probe.ts',
    "import { defineHandler } from '../../../server/handler';\nexport const h = defineHandler;\n",
    SERVER,
  ],
  [
    'miniprogram/pages/login/probe.ts',
    "import type { Repo } from '../../../server/users';\nexport type R = Repo;\n",
    SERVER,
  ],
  ['miniprogram/services/probe.ts', "export type T = import('../../server/users').Repo;\n", SERVER],
  [
    'miniprogram/services/probe.ts',
    "import type { Verifier } from '../../verifier/verify';\nexport type V = Verifier;\n",
    SERVER,
  ],
  [
    'miniprogram/pages/login/probe.ts',
    "import { cloudFunction } from '../../../cloudbase/handler';\nexport const f = cloudFunction;\n",
    SERVER,
  ],
  [
    'miniprogram/services/probe.ts',
    "import type { KitContext } from '../../core/ports';\nexport type K = KitContext;\n",
    SERVER,
  ],
  [
    'miniprogram/pages/login/probe.ts',
    "import type { E } from '../../../cloudfunctions/login/src';\nexport type X = E;\n",
    SERVER,
  ],
  // Types from elsewhere than contracts/: not the client's to depend on.
  [
    'miniprogram/services/probe.ts',
    "import type { Fixture } from '../../test/support/fixture';\nexport type F = Fixture;\n",
    /only contracts\/ may be imported from outside miniprogram\/, and only with `import type`/,
  ],
  // A package without 构建 npm: nothing in miniprogram_npm/ to require.
  [
    'miniprogram/services/probe.ts',
    "import { object } from 'valibot';\nexport const o = object;\n",
    /value import of package 'valibot': the mini-program has no miniprogram_npm\/valibot/,
  ],
];

const ALLOWED: ReadonlyArray<readonly [string, string]> = [
  [
    'miniprogram/pages/login/probe.ts',
    "import type { ErrorCode } from '../../../contracts';\nexport type E = ErrorCode;\n",
  ],
  [
    'miniprogram/pages/login/probe.ts',
    "import { type ErrorCode } from '../../../contracts';\nexport type E = ErrorCode;\n",
  ],
  ['miniprogram/services/probe.ts', "export type { ErrorCode } from '../../contracts';\n"],
  [
    'miniprogram/services/probe.ts',
    "import type { SessionTokenClaims } from '../../contracts/token';\nexport type C = SessionTokenClaims;\n",
  ],
  [
    'miniprogram/pages/login/probe.ts',
    "import { API_BASE_URL } from '../../config';\nexport const u = API_BASE_URL;\n",
  ],
  [
    'miniprogram/pages/login/probe.ts',
    "import { messageFor } from '../../services/messages';\nexport const m = messageFor;\n",
  ],
  ['miniprogram/services/probe.ts', "import { messageFor } from '/services/messages';\nexport const m = messageFor;\n"],
  [
    'miniprogram/services/probe.ts',
    "import type { InferOutput } from 'valibot';\nexport type O = InferOutput<never>;\n",
  ],
  // Outside the mini-program the rule does not apply: server code imports server code.
  ['server/probe.ts', "import { x } from '../contracts';\nexport const y = x;\n"],
];

let refused: string[][];
let allowed: string[][];
beforeAll(() => {
  const all = boundaryMessages([...REFUSED.map(([file, code]) => [file, code] as const), ...ALLOWED]);
  refused = all.slice(0, REFUSED.length);
  allowed = all.slice(REFUSED.length);
});

describe('mini-program imports stay inside miniprogram/ (kit/miniprogram-boundary)', () => {
  test.each(REFUSED.map(([file, code, expected], index) => [file, code.split('\n').at(-2), expected, index] as const))(
    '%s: %s is refused',
    (_file, _line, expected, index) => {
      expect(refused[index]).toHaveLength(1);
      expect(refused[index]![0]).toMatch(expected);
    },
  );

  test.each(ALLOWED.map(([file, code], index) => [file, code.split('\n')[0], index] as const))(
    '%s: %s is allowed',
    (_file, _line, index) => {
      expect(allowed[index]).toEqual([]);
    },
  );

  it('the kit itself passes it: every mini-program file in the repo', () => {
    const stdout = execFileSync(
      process.execPath,
      [
        '-e',
        `const { ESLint } = require('eslint');
         new ESLint({ overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
           ruleFilter: ({ ruleId }) => ruleId === ${JSON.stringify(RULE)} })
           .lintFiles(['miniprogram']).then((results) => process.stdout.write(JSON.stringify(
             results.flatMap((r) => r.messages.map((m) => r.filePath + ': ' + m.message)))));`,
      ],
      { cwd: REPO, encoding: 'utf8' },
    );
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
