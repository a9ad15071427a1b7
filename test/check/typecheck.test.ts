import { checkTypes } from '../../scripts/check/typecheck';
import { makeFixture, removeFixtures } from './fixture';

afterAll(removeFixtures);

describe('typecheck check (mini-program typings, cloud functions on Node 16)', () => {
  it('fails on an API newer than Node 16 in a function, and on a wx misuse in the mini-program, at file:line', async () => {
    const project = makeFixture({
      'cloudfunctions/hello/src/clock.ts':
        "// global fetch is Node 18+: CloudBase's Node 16 runtime has none.\nexport async function now(): Promise<string> {\n  const reply = await fetch('https://example.invalid/time');\n  return reply.text();\n}\n",
      'miniprogram/pages/index/index.ts': "export const title = 'index';\nwx.showToast({ title: 42 });\n",
    });
    const { problems, summary } = await checkTypes(project);
    expect(summary).toBe('miniprogram/tsconfig.json, tsconfig.functions.json, tsconfig.json');
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'miniprogram/pages/index/index.ts',
        line: 2,
        message: "[miniprogram/tsconfig.json] TS2322: Type 'number' is not assignable to type 'string'.",
      }),
      expect.objectContaining({
        file: 'cloudfunctions/hello/src/clock.ts',
        line: 3,
        column: 23,
        message: "[tsconfig.functions.json] TS2304: Cannot find name 'fetch'.",
      }),
    ]);
  });

  it('fails when the functions are not checked against Node 16 typings', async () => {
    const project = makeFixture({
      'tsconfig.functions.json':
        '{\n  "extends": "./tsconfig.json",\n  "compilerOptions": { "types": ["node"] },\n  "include": ["cloudfunctions/hello/src"]\n}\n',
      'cloudfunctions/other/src/index.ts': 'export const main = (): number => 1;\n',
    });
    const messages = (await checkTypes(project)).problems.map((problem) => `${problem.file}: ${problem.message}`);
    expect(messages).toEqual([
      'tsconfig.functions.json: loads @types/node (Node 20): the cloud functions must see Node 16 typings only ("types": ["node16"])',
      'tsconfig.functions.json: loads the DOM library: CloudBase functions run on Node, which has no DOM',
      'tsconfig.functions.json: does not include cloudfunctions/other/src/index.ts: every function must be checked against Node 16',
    ]);
  });
});
