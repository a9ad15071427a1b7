import { checkFunctions } from '../../scripts/check/functions';
import { makeFixture, removeFixtures } from './fixture';

afterAll(removeFixtures);

const HEADER = `interface OpenApi {
  security: { msgSecCheck(data: { content: string }): Promise<unknown> };
  phonenumber: { getPhoneNumber(data: { code: string }): Promise<unknown> };
}
declare const cloud: { openapi: OpenApi };
`;

describe('functions check (config.json against the cloud calls in the bundled code)', () => {
  it('passes the fixture as it is', async () => {
    const result = await checkFunctions(makeFixture());
    expect(result.problems).toEqual([]);
    expect(result.summary).toBe('1 function (hello), 1 cloud call');
  });

  it('fails on a cloud call that config.json does not declare, at the call', async () => {
    const project = makeFixture({
      'cloudfunctions/hello/src/index.ts': `${HEADER}
export async function main(event: { code: string }): Promise<unknown> {
  await cloud.openapi.security.msgSecCheck({ content: 'x' });
  return cloud.openapi.phonenumber.getPhoneNumber({ code: event.code });
}
`,
    });
    const { problems } = await checkFunctions(project);
    expect(problems).toEqual([
      {
        file: 'cloudfunctions/hello/src/index.ts',
        line: 9,
        column: 10,
        message:
          'hello: calls openapi phonenumber.getPhoneNumber, which cloudfunctions/hello/config.json does not declare in permissions.openapi (the cloud would answer -604101)',
      },
    ]);
  });

  it('follows imports: finds a call made by a shared helper the function bundles', async () => {
    const project = makeFixture({
      'shared/phone.ts': `${HEADER}
export function phone(code: string): Promise<unknown> {
  return openapi().phonenumber.getPhoneNumber({ code });
}
function openapi(): OpenApi {
  return cloud.openapi;
}
`,
      'cloudfunctions/hello/src/index.ts': `import { phone } from '../../../shared/phone';
${HEADER}
export async function main(event: { code: string }): Promise<unknown> {
  await cloud.openapi.security.msgSecCheck({ content: 'x' });
  return phone(event.code);
}
`,
    });
    const { problems } = await checkFunctions(project);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'shared/phone.ts',
        line: 8,
        message:
          'hello: calls openapi phonenumber.getPhoneNumber, which cloudfunctions/hello/config.json does not declare in permissions.openapi (the cloud would answer -604101)',
      }),
    ]);
  });

  it('fails on a declared permission the code never uses, at its line in config.json', async () => {
    const project = makeFixture({
      'cloudfunctions/hello/config.json':
        '{\n  "permissions": {\n    "openapi": [\n      "security.msgSecCheck",\n      "subscribeMessage.send"\n    ]\n  }\n}\n',
    });
    const { problems } = await checkFunctions(project);
    expect(problems).toEqual([
      {
        file: 'cloudfunctions/hello/config.json',
        line: 5,
        message: 'declares openapi permission "subscribeMessage.send", but hello\'s code never calls it',
      },
    ]);
  });

  it('fails on a cloud call it cannot name', async () => {
    const project = makeFixture({
      'cloudfunctions/hello/src/index.ts': `${HEADER}
export async function main(event: { api: 'security' }): Promise<unknown> {
  const api = cloud.openapi;
  await api.security.msgSecCheck({ content: event.api });
  return cloud.openapi.security.msgSecCheck({ content: 'x' });
}
`,
    });
    const { problems } = await checkFunctions(project);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'cloudfunctions/hello/src/index.ts',
        line: 8,
        message:
          'hello: cannot tell which cloud call this makes (const api = cloud.openapi;); call it as cloud.openapi.<namespace>.<api>(...) so config.json can be checked',
      }),
    ]);
  });

  it('reports invalid config.json and a bad permissions shape', async () => {
    const invalid = await checkFunctions(makeFixture({ 'cloudfunctions/hello/config.json': '{ "permissions": }' }));
    expect(invalid.problems[0]).toEqual(
      expect.objectContaining({
        file: 'cloudfunctions/hello/config.json',
        line: 1,
        message: 'invalid JSON: Unexpected token \'}\', "{ "permissions": }" is not valid JSON',
      }),
    );
    const shape = await checkFunctions(
      makeFixture({ 'cloudfunctions/hello/config.json': '{ "permissions": { "openapi": "security.msgSecCheck" } }\n' }),
    );
    expect(shape.problems.map((p) => p.message)).toContain(
      'permissions.openapi must be an array of API names like "security.msgSecCheck"',
    );
  });

  it('discovers a new function folder, and reports a package.json that lists what is bundled in', async () => {
    const project = makeFixture({
      'cloudfunctions/fresh/src/index.ts':
        "import { randomUUID } from 'node:crypto';\nimport * as sdk from 'wx-server-sdk';\n\nexport const main = (): string => `${randomUUID()}${String(typeof sdk)}`;\n",
      'cloudfunctions/fresh/package.json':
        '{\n  "name": "fresh",\n  "dependencies": {\n    "wx-server-sdk": "4.0.2"\n  }\n}\n',
    });
    const { problems, summary } = await checkFunctions(project);
    expect(summary).toBe('2 functions (fresh, hello), 1 cloud call');
    expect(problems).toEqual([
      {
        file: 'cloudfunctions/fresh/package.json',
        line: 4,
        message:
          'fresh: dependencies lists "wx-server-sdk", which is bundled into index.js: remove it, so that the upload needs no npm install in the cloud',
      },
    ]);
  });

  it('accepts a function that bundles wx-server-sdk with no dependencies to install', async () => {
    const project = makeFixture({
      'cloudfunctions/fresh/src/index.ts':
        "import * as sdk from 'wx-server-sdk';\n\nexport const main = (): string => String(typeof sdk.getWXContext);\n",
      'cloudfunctions/fresh/package.json': '{\n  "name": "fresh",\n  "main": "index.js"\n}\n',
    });
    expect((await checkFunctions(project)).problems).toEqual([]);
  });
  it('checks timer triggers as CloudBase takes them: one per function, type timer, a 7-field cron', async () => {
    const config = (triggers: unknown): string =>
      `${JSON.stringify({ permissions: { openapi: ['security.msgSecCheck'] }, triggers }, null, 2)}\n`;
    const good = makeFixture({
      'cloudfunctions/hello/config.json': config([{ name: 'nightly', type: 'timer', config: '0 0 3 * * * *' }]),
    });
    expect((await checkFunctions(good)).problems).toEqual([]);
    const bad = makeFixture({
      'cloudfunctions/hello/config.json': config([
        { name: 'nightly', type: 'timer', config: '0 3 * * *' },
        { name: '9lives', type: 'timer', config: '0 0 3 * * * *' },
        { name: 'hook', type: 'http', config: '/x' },
      ]),
    });
    expect((await checkFunctions(bad)).problems).toEqual(
      [
        'triggers[0].config must be a 7-field cron (seconds minutes hours day month weekday year)',
        'triggers[1].name must start with a letter: up to 60 of a-z A-Z 0-9 - _',
        'triggers[2].type must be "timer" (CloudBase\'s only trigger type)',
        'declares 3 triggers: CloudBase takes one per function',
      ].map((message) => ({ file: 'cloudfunctions/hello/config.json', line: 7, message })),
    );
  });
});
