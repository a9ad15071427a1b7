/**
 * devcloud as a house of rooms (README, "Rooms"), read off its import graph: no circle, no arrow back up, the phone
 * and the console outside speaking only protocol/, at most 5 files loose at the root, no source file over 450
 * lines. The same rules are ESLint's (no-restricted-imports in the kit's eslint.config.mjs): planted imports prove
 * that ESLint refuses exactly what this file's floor plan forbids.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { createRequire } from 'module';
import { join, resolve } from 'path';
import * as ts from 'typescript';
import { circles, DEVCLOUD, devcloudFiles, devcloudModules, importGraph, roomOf } from './support/import-graph';

/** The house's rooms on their floors: a room imports only rooms on lower floors. */
const FLOORS: Readonly<Record<string, number>> = {
  protocol: 0,
  faults: 1,
  http: 1,
  database: 2,
  functions: 2,
  wechat: 2,
  rules: 3,
  storage: 3,
  hub: 4,
};
/** Outside the house: they speak HTTP to the hub and import only protocol/. */
const CLIENTS = ['phone', 'console'];
const WINGS = ['database', 'rules', 'storage', 'functions', 'wechat'];
const ROOMS = [...Object.keys(FLOORS), ...CLIENTS];

/** May a file in `room` import one in `target`? The root ('.': the entry, the CLI) is the top floor. */
function mayImport(room: string, target: string): boolean {
  if (room === target) return true;
  if (room === '.' || room === 'bin') return target !== 'test' && target !== '(outside devcloud)';
  if (CLIENTS.includes(room)) return target === 'protocol';
  if (!(room in FLOORS) || !(target in FLOORS)) return false;
  return FLOORS[target]! < FLOORS[room]!;
}

describe('the import graph', () => {
  const edges = importGraph();

  test('the scan sees the imports: the entry reaches every room', () => {
    // Guards the checks below against a scan that finds nothing.
    const reached = new Set(edges.filter((edge) => edge.from === 'index.ts').map((edge) => roomOf(edge.to)));
    for (const room of ['hub', 'faults', 'functions', 'wechat', 'protocol', 'rules', 'phone', 'database'])
      expect(reached).toContain(room);
    expect(edges.length).toBeGreaterThan(150);
  });

  test('no circle, between files or between rooms', () => {
    expect(circles(edges)).toEqual([]);
    const roomEdges = edges
      .filter((edge) => roomOf(edge.from) !== roomOf(edge.to))
      .map((edge) => ({ from: roomOf(edge.from), to: roomOf(edge.to), specifier: edge.specifier }));
    expect(circles(roomEdges)).toEqual([]);
  });

  test('every file lives in a room of the plan (or loose at the root, or bin/)', () => {
    const homeless = devcloudModules().filter((file) => !['.', 'bin', ...ROOMS].includes(roomOf(file)));
    expect(homeless).toEqual([]);
  });

  test('no arrow back up: a room imports only rooms on floors below it; phone/ and console/ only protocol/', () => {
    const wrong = edges
      .filter((edge) => !mayImport(roomOf(edge.from), roomOf(edge.to)))
      .map((edge) => `${edge.from} -> ${edge.to}`);
    expect(wrong).toEqual([]);
  });

  test('faults/ imports nothing of devcloud but the types of protocol/', () => {
    const values = devcloudModules()
      .filter((file) => roomOf(file) === 'faults')
      .flatMap((file) => valueImports(file).filter((specifier) => specifier.startsWith('..')));
    expect(values).toEqual([]);
  });

  test('protocol/ is types only, plus the wx error helper', () => {
    const values = devcloudModules()
      .filter((file) => roomOf(file) === 'protocol')
      .flatMap((file) => valueDeclarations(file).map((name) => `${file}: ${name}`));
    expect(values).toEqual(['protocol/wx.ts: wxError']);
  });
});

describe('the rooms', () => {
  test('at most 5 files lie loose at the root', () => {
    const loose = devcloudModules().filter((file) => roomOf(file) === '.');
    expect(loose.length).toBeLessThanOrEqual(5);
    expect(loose).toEqual(expect.arrayContaining(['index.ts', 'cli.ts']));
  });

  test('no source file (code or style sheet) is over 450 lines outside the tests', () => {
    const long = devcloudFiles()
      .filter((file) => /\.(ts|tsx|js|mjs|cjs|css)$/.test(file))
      .map((file) => ({ file, lines: readFileSync(join(DEVCLOUD, file), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 450);
    expect(long).toEqual([]);
  });

  test("each wing's index.ts opens with the service it stands for and the SDK version it was checked against", () => {
    const sdk = (
      JSON.parse(readFileSync(createRequire(__filename).resolve('wx-server-sdk/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    for (const wing of WINGS) {
      const text = readFileSync(join(DEVCLOUD, wing, 'index.ts'), 'utf8');
      const opening = /^\/\*\*([\s\S]*?)\*\//.exec(text)?.[1];
      expect(opening).toBeDefined();
      expect(opening).toMatch(new RegExp(`^\\s*\\* ${wing}/: `));
      // The version installed: a newer SDK means checking the wing again, then saying so here.
      expect(opening).toContain(`wx-server-sdk ${sdk}`);
    }
  });

  test("the console's table markup is one component (ui.tsx's DataTable)", () => {
    const tables = devcloudFiles()
      .filter((file) => file.startsWith('console/') && file.endsWith('.tsx'))
      .filter((file) => /<(table|thead|tbody|th)\b/.test(readFileSync(join(DEVCLOUD, file), 'utf8')));
    expect(tables).toEqual(['console/ui.tsx']);
  });
});

describe("ESLint's no-restricted-imports keeps the rooms", () => {
  /** A sample import from a file `depth` folders inside `room` to `target` (a room, '.' the entry, or the kit). */
  function sample(room: string, depth: number, target: string): [string, string] {
    const file = `devcloud/${room}/${'sub/'.repeat(depth)}probe.${room === 'console' ? 'tsx' : 'ts'}`;
    const up = '../'.repeat(depth + 1);
    const specifier = target === '.' ? up.slice(0, -1) : target === 'kit' ? `${up}../core/ports` : `${up}${target}/x`;
    return [file, `import { x } from '${specifier}';\nexport const y = x;\n`];
  }

  const cases = ROOMS.flatMap((room) =>
    [0, 1].flatMap((depth) =>
      [...ROOMS.filter((target) => target !== room), '.', 'kit'].map((target) => ({
        room,
        depth,
        target,
        allowed: target !== '.' && target !== 'kit' && mayImport(room, target),
        sample: sample(room, depth, target),
      })),
    ),
  );
  const extra: Array<{ name: string; sample: [string, string]; allowed: boolean }> = [
    {
      name: 'faults/ importing the wx error helper (a value of protocol/)',
      sample: ['devcloud/faults/probe.ts', "import { wxError } from '../protocol';\nexport const y = wxError;\n"],
      allowed: false,
    },
    {
      name: "faults/ importing protocol/'s types",
      sample: ['devcloud/faults/probe.ts', "import type { Fault } from '../protocol';\nexport type F = Fault;\n"],
      allowed: true,
    },
    {
      name: 'a file deep in a wing importing a sibling inside it',
      sample: ['devcloud/wechat/cloud-calls/probe.ts', "import { x } from '../outbox';\nexport const y = x;\n"],
      allowed: true,
    },
    {
      name: 'a console view importing the console',
      sample: ['devcloud/console/views/probe.tsx', "import { x } from '../ui';\nexport const y = x;\n"],
      allowed: true,
    },
    {
      name: 'the entry importing any room',
      sample: ['devcloud/probe.ts', "import { x } from './hub';\nexport const y = x;\n"],
      allowed: true,
    },
  ];

  let messages: string[][];
  beforeAll(() => {
    messages = restrictedImports([...cases.map((c) => c.sample), ...extra.map((c) => c.sample)]);
  });

  test.each(cases.map((c, index) => [c.room, c.depth, c.target, c.allowed, index] as const))(
    '%s/ (depth %i) importing %s: allowed %s',
    (_room, _depth, _target, allowed, index) => {
      const found = messages[index]!;
      if (allowed) expect(found).toEqual([]);
      else {
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(/devcloud rooms: /);
      }
    },
  );

  test.each(extra.map((c, index) => [c.name, c.allowed, cases.length + index] as const))(
    '%s: allowed %s',
    (_name, allowed, index) => {
      const found = messages[index]!;
      if (allowed) expect(found).toEqual([]);
      else expect(found).toEqual([expect.stringMatching(/devcloud rooms: faults\/ imports nothing of devcloud/)]);
    },
  );

  test('the messages say why: a wing never imports the hub or the phone; no arrow back up', () => {
    const message = (room: string, target: string) =>
      messages[cases.findIndex((c) => c.room === room && c.depth === 0 && c.target === target)]![0];
    expect(message('database', 'hub')).toMatch(/a wing \(database\/\) never imports the hub, the phone/);
    expect(message('storage', 'phone')).toMatch(/a wing \(storage\/\) never imports the hub, the phone/);
    expect(message('database', 'rules')).toMatch(/no arrow back up: rules\/ is not on a floor below database\//);
    expect(message('phone', 'hub')).toMatch(/phone\/ imports only protocol\//);
    expect(message('protocol', 'faults')).toMatch(/protocol\/ is types only/);
  });
});

/** The relative specifiers a file imports values from (not `import type`, not `import { type x }` only). */
function valueImports(file: string): string[] {
  const source = parse(file);
  return source.statements.flatMap((statement) => {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const typeOnly =
        clause !== undefined &&
        (ts.isTypeOnlyImportDeclaration(clause) ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.every((element) => ts.isTypeOnlyImportDeclaration(element))));
      return typeOnly ? [] : [(statement.moduleSpecifier as ts.StringLiteral).text];
    }
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly)
      return [(statement.moduleSpecifier as ts.StringLiteral).text];
    return [];
  });
}

/** The names of the values (functions, classes, variables, enums) a file declares. */
function valueDeclarations(file: string): string[] {
  return parse(file).statements.flatMap((statement) => {
    if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement))
      return [statement.name?.text ?? '(anonymous)'];
    if (ts.isVariableStatement(statement))
      return statement.declarationList.declarations.map((declaration) => declaration.name.getText());
    return [];
  });
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(DEVCLOUD, file), 'utf8'), ts.ScriptTarget.Latest, true);
}

/**
 * Lints samples with the kit's own config, keeping only no-restricted-imports and no type information (the samples
 * are not on disk), as test/check/product-imports.test.ts does. In a child process: ESLint loads eslint.config.mjs
 * with a dynamic import(), which jest's VM refuses.
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
        if (fatal) throw new Error(file + ': ' + fatal.message);
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const repo = resolve(DEVCLOUD, '..');
  const stdout = execFileSync(process.execPath, ['-e', script, JSON.stringify(samples)], {
    cwd: repo,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[][];
}
