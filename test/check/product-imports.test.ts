/**
 * devcloud is a development tool: the product (miniprogram/, cloudbase/, cloudfunctions/, contracts/) never imports it.
 * The kit's ESLint config (eslint.config.mjs, run by `npm run lint` and `npm run check`) enforces it; this lints
 * sample sources at product paths with that very config and expects the refusal, and none for tests and scripts.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * Lints each sample with the kit's own config, keeping only no-restricted-imports and no type information (the
 * samples are not on disk). In a child process: ESLint loads eslint.config.mjs with a dynamic import(), which jest's
 * VM refuses. Returns the rule's messages per sample.
 */
function restrictedImports(samples: ReadonlyArray<readonly [string, string]>): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const path = require('path');
    const samples = JSON.parse(process.argv[1]);
    const eslint = new ESLint({
      overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
      ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
    });
    (async () => {
      const out = [];
      for (const [file, code] of samples) {
        const [result] = await eslint.lintText(code, { filePath: path.resolve(file) });
        const fatal = result.messages.find((m) => m.fatal);
        if (fatal) throw new Error(file + ': ' + fatal.message); // a parse error would hide the rule
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ['-e', script, JSON.stringify(samples)], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[][];
}

const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ['cloudbase/probe.ts', "import { startDevCloud } from 'devcloud';\nexport const start = startDevCloud;\n"],
  ['cloudbase/probe.ts', "export { DEFAULT_APPID } from '../devcloud/identity';\n"],
  ['cloudfunctions/login/src/probe.ts', "import type { DevCloud } from 'devcloud';\nexport type Cloud = DevCloud;\n"],
  ['cloudfunctions/login/src/probe.ts', "export * from '../../../devcloud/server';\n"],
  ['contracts/probe.ts', "import { openidFor } from 'devcloud';\nexport const id = openidFor('a', 'b');\n"],
  [
    'miniprogram/services/probe.ts',
    "import { createDevice } from '../../devcloud/device';\nexport const d = createDevice;\n",
  ],
  ['miniprogram/pages/login/probe.ts', "import { useDevice } from '../../../devcloud';\nexport const u = useDevice;\n"],
  [
    'miniprogram/services/probe.ts',
    "import { DevDatabase } from '../../devcloud/database/index';\nexport const c = DevDatabase;\n",
  ],
];

/** The kit's tests and scripts use devcloud as any project would: through its entry, not a path into it. */
const DEEP: ReadonlyArray<readonly [string, string]> = [
  [
    'test/functions/probe.test.ts',
    "import { createDevice } from '../../devcloud/device';\nexport const d = createDevice;\n",
  ],
  ['scripts/probe.ts', "import { startDevCloud } from '../devcloud';\nexport const s = startDevCloud;\n"],
  ['test/support/probe.ts', "import type { DevCloud } from 'devcloud/server';\nexport type C = DevCloud;\n"],
];

const ALLOWED: ReadonlyArray<readonly [string, string]> = [
  ['test/services/probe.test.ts', "import { createDevice } from 'devcloud';\nexport const d = createDevice;\n"],
  ['scripts/probe.ts', "import { startDevCloud } from 'devcloud';\nexport const s = startDevCloud;\n"],
  [
    'test/pages/probe.test.ts',
    "import { startChildCloud } from '../support/devcloud';\nexport const s = startChildCloud;\n",
  ],
  [
    'cloudbase/probe.ts',
    "import cloud from 'wx-server-sdk';\nimport { x } from './devcloudish';\nexport { cloud, x };\n",
  ],
];

let refused: string[][];
let deep: string[][];
let allowed: string[][];
beforeAll(() => {
  const all = restrictedImports([...REFUSED, ...DEEP, ...ALLOWED]);
  refused = all.slice(0, REFUSED.length);
  deep = all.slice(REFUSED.length, REFUSED.length + DEEP.length);
  allowed = all.slice(REFUSED.length + DEEP.length);
});

describe('product code never imports devcloud', () => {
  test.each(REFUSED.map(([file, code], index) => [file, code.split('\n')[0], index] as const))(
    '%s: %s is refused',
    (_file, _line, index) => {
      expect(refused[index]).toHaveLength(1);
      expect(refused[index]![0]).toMatch(/devcloud is a development tool: product code .* never imports it/);
    },
  );

  test.each(DEEP.map(([file, code], index) => [file, code.split('\n')[0], index] as const))(
    '%s: %s is refused (a path into devcloud, not its entry)',
    (_file, _line, index) => {
      expect(deep[index]).toHaveLength(1);
      expect(deep[index]![0]).toMatch(/use devcloud's public entry: import \{ \.\.\. \} from 'devcloud'$/);
    },
  );

  test.each(ALLOWED.map(([file, code], index) => [file, code.split('\n')[0], index] as const))(
    '%s: %s is allowed',
    (_file, _line, index) => {
      expect(allowed[index]).toEqual([]);
    },
  );
});
