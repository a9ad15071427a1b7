import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A stand-in for miniprogram-ci in a tools folder of its own (SHIP_TOOLS_DIR), so that a real `npm run deploy` runs
 * end to end without WeChat's servers: it records each call, in order, to FAKE_CI_LOG and answers as miniprogram-ci
 * does (createTimeTrigger resolves with a text, FAKE_CI_TRIGGER_ANSWER when set). Its compiler returns a fixed
 * two-file package.
 */
const FAKE = `
const fs = require('fs');
const record = (call, detail) => fs.appendFileSync(process.env.FAKE_CI_LOG, JSON.stringify({ call, ...detail }) + '\\n');
class Project {
  constructor(options) { this.appid = options.appid; this.privateKey = options.privateKey; }
  attr() { return Promise.resolve({}); }
}
module.exports = {
  Project,
  async getCompiledResult(options, savePath) {
    fs.writeFileSync(savePath, 'zip');
    return { 'app.js': 'require("./pages/index/index");', 'pages/index/index.js': 'Page({});' };
  },
  async upload(options) {
    record('upload', { appid: options.project.appid, version: options.version, desc: options.desc });
    return { subPackageInfo: [{ name: '__FULL__', size: 123 }] };
  },
  cloud: {
    async uploadFunction(options) {
      record('uploadFunction', { env: options.env, name: options.name, files: fs.readdirSync(options.path).sort() });
      return { filesCount: 3, packSize: 1000 };
    },
    async createTimeTrigger(options) {
      record('createTimeTrigger', { envId: options.envId, functionName: options.functionName, triggersConfig: options.triggersConfig });
      return process.env.FAKE_CI_TRIGGER_ANSWER || '创建定时触发器成功';
    },
  },
};
`;

export interface FakeCi {
  dir: string;
  log: string;
  calls(): Record<string, unknown>[];
  remove(): void;
}

export function makeFakeCi(): FakeCi {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ship-fake-ci-'));
  const pkg = path.join(dir, 'node_modules', 'miniprogram-ci');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "fake-tools", "private": true }\n');
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    '{ "name": "miniprogram-ci", "version": "0.0.0-fake", "main": "index.js" }\n',
  );
  fs.writeFileSync(path.join(pkg, 'index.js'), FAKE);
  const log = path.join(dir, 'calls.jsonl');
  fs.writeFileSync(log, '');
  return {
    dir,
    log,
    calls: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
