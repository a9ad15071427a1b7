/**
 * A fixture cloud function for devcloud's own tests: `probe` runs a list of steps with the REAL wx-server-sdk
 * (database, storage, cloud calls) or Node's http (the WeChat API, as cloudbase/http.ts calls it) and reports, per
 * step, what the function saw: the value, or the error's errCode/errMsg/code and how long it took to fail.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { createRequire } from 'module';
import { join } from 'path';
import { DEFAULT_APPID, DEFAULT_APPSECRET } from '../../wechat/identity';
import type { InvocationReport } from '../../protocol';

/** The SDK the fixture loads: the project's own copy (the fixture lives in a temporary folder). */
const SDK = createRequire(__filename).resolve('wx-server-sdk');

export type ProbeStep =
  | { op: 'get' | 'remove'; collection: string; id: string }
  | { op: 'add'; collection: string; data: Record<string, unknown> }
  | { op: 'update' | 'updateAndReturn' | 'set' | 'transaction'; collection: string; id: string; data: object }
  | { op: 'count'; collection: string }
  | { op: 'upload'; cloudPath: string; text: string }
  | { op: 'tempUrl' | 'download' | 'delete'; fileID: string }
  | { op: 'phone'; code: string; openid?: string }
  | { op: 'msgSecCheck'; content: string }
  | { op: 'openData'; cloudID: string }
  | { op: 'jscode2session'; code: string }
  | { op: 'sleep'; ms: number };

export type ProbeResult =
  | { ok: true; value: unknown; ms: number }
  | { ok: false; errCode?: number; errMsg?: string; code?: string; message?: string; ms: number };

const PROBE_SOURCE = `
const http = require('http');
const cloud = require(${JSON.stringify(SDK)});
cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
const db = cloud.database();

function wechatGet(path, query) {
  const url = process.env.WECHAT_API_BASE + path + '?' + new URLSearchParams(query).toString();
  return new Promise((resolve, reject) => {
    const request = http.get(url, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    request.on('error', reject);
  });
}

const OPS = {
  get: (s) => db.collection(s.collection).doc(s.id).get().then((r) => r.data),
  add: (s) => db.collection(s.collection).add({ data: s.data }).then((r) => r._id),
  update: (s) => db.collection(s.collection).doc(s.id).update({ data: s.data }).then((r) => r.stats.updated),
  set: (s) => db.collection(s.collection).doc(s.id).set({ data: s.data }).then((r) => r.stats),
  // CloudBase's Query.updateAndReturn (database.modifyAndReturnDoc), as cloudbase/users.ts reaches it.
  updateAndReturn: (s) => db.collection(s.collection).where({ _id: s.id })._query.updateAndReturn(s.data),
  remove: (s) => db.collection(s.collection).doc(s.id).remove().then((r) => r.stats.removed),
  count: (s) => db.collection(s.collection).count().then((r) => r.total),
  transaction: (s) =>
    db.runTransaction(async (tx) => {
      await tx.collection(s.collection).doc(s.id).get().catch(() => undefined);
      await tx.collection(s.collection).doc(s.id).set({ data: s.data });
      return 'committed';
    }),
  upload: (s) => cloud.uploadFile({ cloudPath: s.cloudPath, fileContent: Buffer.from(s.text) }).then((r) => r.fileID),
  tempUrl: (s) => cloud.getTempFileURL({ fileList: [s.fileID] }).then((r) => r.fileList[0].status),
  download: (s) => cloud.downloadFile({ fileID: s.fileID }).then((r) => r.fileContent.toString('utf8')),
  delete: (s) => cloud.deleteFile({ fileList: [s.fileID] }).then((r) => r.fileList[0].status),
  phone: (s) =>
    cloud.openapi.phonenumber
      .getPhoneNumber(s.openid === undefined ? { code: s.code } : { code: s.code, openid: s.openid })
      .then((r) => r.phoneInfo.purePhoneNumber),
  msgSecCheck: (s) =>
    cloud.openapi.security
      .msgSecCheck({ content: s.content, version: 2, scene: 2, openid: cloud.getWXContext().OPENID })
      .then((r) => r.result.suggest),
  openData: (s) => cloud.getOpenData({ list: [s.cloudID] }).then((r) => r.list[0].data),
  jscode2session: (s) =>
    wechatGet('/sns/jscode2session', {
      appid: ${JSON.stringify(DEFAULT_APPID)},
      secret: ${JSON.stringify(DEFAULT_APPSECRET)},
      js_code: s.code,
      grant_type: 'authorization_code',
    }),
  sleep: (s) => new Promise((resolve) => setTimeout(() => resolve(s.ms), s.ms)),
};

exports.main = async (event) => {
  const results = [];
  for (const step of event.steps) {
    const started = Date.now();
    try {
      const value = await OPS[step.op](step);
      results.push({ ok: true, value: value === undefined ? null : value, ms: Date.now() - started });
    } catch (e) {
      results.push({ ok: false, errCode: e.errCode, errMsg: e.errMsg, code: e.code, message: e.message, ms: Date.now() - started });
    }
  }
  return results;
};
`;

/** The cloud calls the probe may make: CloudBase checks them against its config.json, as for a real function. */
const PROBE_CONFIG = { permissions: { openapi: ['phonenumber.getPhoneNumber', 'security.msgSecCheck'] } };

export interface ProbeFunctions {
  functionsDir: string;
  remove(): Promise<void>;
}

/** Writes the probe under each of `names` (same code, different function names) into a temporary folder. */
export async function writeProbeFunctions(names: string[] = ['probe']): Promise<ProbeFunctions> {
  const functionsDir = await mkdtemp(join(tmpdir(), 'devcloud-probe-'));
  for (const name of names) {
    await mkdir(join(functionsDir, name));
    await writeFile(join(functionsDir, name, 'index.js'), PROBE_SOURCE);
    await writeFile(join(functionsDir, name, 'config.json'), JSON.stringify(PROBE_CONFIG));
  }
  return { functionsDir, remove: () => rm(functionsDir, { recursive: true, force: true }) };
}

/** The probe's per-step results from an invocation that itself succeeded. */
export function probeResults(report: InvocationReport): ProbeResult[] {
  if (report.error) throw new Error(`probe invocation failed: ${report.error.errMsg}`);
  return report.result as ProbeResult[];
}
