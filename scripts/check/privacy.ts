import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { isRecord, readJson } from '../ship/json';
import { lineOf, positionOf, type Problem } from '../ship/problems';
import { listFiles, rel, type ShipProject } from '../ship/project';
import {
  PRIVACY_APIS,
  PRIVACY_INFO,
  SELF_COLLECTED_INFO,
  type PrivacyApi,
  type PrivacyInfo,
  type PrivacyInfoKey,
} from './privacy-apis';
import type { CheckResult } from './types';

/** At the repository root: what the MP console's 用户隐私保护指引 declares (docs/privacy.md). */
export const PRIVACY_FILE = 'privacy.json';

/** One use of a privacy-relevant API or component in the mini-program's code. */
export interface PrivacyUse {
  file: string;
  line: number;
  column: number;
  api: PrivacyApi;
}

interface Declaration {
  info: PrivacyInfo;
  key?: PrivacyInfoKey;
  line: number | undefined;
}

/**
 * The mini-program's privacy APIs and components against privacy.json: every use (scanned in .ts, .js and .wxml,
 * npm packages built into miniprogram_npm included, since they ship too) needs its information declared, and every
 * declaration needs a use (or `selfCollected` for information gathered without a WeChat API). The entries must
 * carry the console's own wording, so the file doubles as the text to enter in the console.
 */
export async function checkPrivacy(project: ShipProject): Promise<CheckResult> {
  await Promise.resolve(); // the runner's interface is asynchronous; everything here is synchronous file work
  const problems: Problem[] = [];
  const uses = scanPrivacyUses(project);
  const declared = readDeclarations(project, problems);
  const file = PRIVACY_FILE;

  if (declared === undefined) {
    if (uses.length > 0) {
      problems.push({
        file,
        message: `missing, but the mini-program uses ${unique(uses.map((use) => use.api.api)).join(', ')}: declare what they process (see docs/privacy.md)`,
      });
    }
  } else {
    const declaredKeys = new Set(declared.flatMap((entry) => (entry.key ? [entry.key] : [])));
    for (const use of uses) {
      for (const key of use.api.info) {
        if (declaredKeys.has(key)) continue;
        const info = PRIVACY_INFO[key];
        problems.push({
          file: use.file,
          line: use.line,
          column: use.column,
          message: `${use.api.api} processes "${info.label}" (${info.processing}), which ${file} does not declare: WeChat disables it until the MP console's 用户隐私保护指引 declares it (errno 112)`,
        });
      }
    }
    const usedKeys = new Set(uses.flatMap((use) => use.api.info));
    for (const entry of declared) {
      if (!entry.key || usedKeys.has(entry.key)) continue;
      const key = entry.key;
      const apis = PRIVACY_APIS.filter((api) => api.info.includes(key)).map((api) => api.api);
      problems.push({
        file,
        line: entry.line,
        message: `declares "${entry.info.label}", but the mini-program uses none of ${apis.join(', ')}: remove it (a guideline that declares more than the code uses is rejected at review)`,
      });
    }
  }

  const files = unique(uses.map((use) => use.file));
  const labels = (declared ?? []).map((entry) => entry.info.label);
  return {
    problems,
    summary: `${declared === undefined ? `no ${file}` : `${labels.length} declared (${labels.join('、') || 'none'})`}, ${uses.length} privacy API use${uses.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}`,
  };
}

/** Every use of a privacy-relevant API or component under the mini-program root, in file and line order. */
export function scanPrivacyUses(project: ShipProject): PrivacyUse[] {
  const uses: PrivacyUse[] = [];
  for (const relative of listFiles(project.miniprogramRoot)) {
    const absolute = path.join(project.miniprogramRoot, relative);
    const file = rel(project, absolute);
    if (relative.endsWith('.wxml')) {
      uses.push(...scanWxml(fs.readFileSync(absolute, 'utf8')).map((use) => ({ file, ...use })));
    } else if (/\.(ts|js|mjs|cjs)$/.test(relative) && !relative.endsWith('.d.ts')) {
      uses.push(...scanScript(fs.readFileSync(absolute, 'utf8'), relative).map((use) => ({ file, ...use })));
    }
  }
  return uses;
}

type Found = Omit<PrivacyUse, 'file'>;

const WX_APIS = new Map(PRIVACY_APIS.flatMap((api) => (api.use.kind === 'wx' ? [[api.use.name, api] as const] : [])));
const SCOPES = new Map<string, PrivacyApi>(
  PRIVACY_APIS.flatMap((api) => (api.use.kind === 'scope' ? [[`scope.${api.use.name}`, api] as const] : [])),
);

/**
 * `wx.<api>` (or `wx['<api>']`) and 'scope.<name>' strings, found by TypeScript's parser: comments and other
 * strings do not count. An alias (`const w = wx`) is not followed.
 */
function scanScript(text: string, fileName: string): Found[] {
  const kind = /\.ts$/.test(fileName) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const found: Found[] = [];
  const at = (node: ts.Node, api: PrivacyApi) => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push({ line: line + 1, column: character + 1, api });
  };
  const isWx = (node: ts.Expression) => ts.isIdentifier(node) && node.text === 'wx';
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && isWx(node.expression)) {
      const api = WX_APIS.get(node.name.text);
      if (api) at(node, api);
    } else if (
      ts.isElementAccessExpression(node) &&
      isWx(node.expression) &&
      ts.isStringLiteralLike(node.argumentExpression)
    ) {
      const api = WX_APIS.get(node.argumentExpression.text);
      if (api) at(node, api);
    } else if (ts.isStringLiteralLike(node)) {
      const api = SCOPES.get(node.text);
      if (api) at(node, api);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const TAG = /<([A-Za-z][\w-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?>/g;
const ATTRIBUTE = /([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

/** Elements of the WXML (comments blanked out, lines kept) matched against the table's components. */
function scanWxml(text: string): Found[] {
  const visible = text.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '));
  const found: Found[] = [];
  for (const match of visible.matchAll(TAG)) {
    const tag = (match[1] ?? '').toLowerCase();
    const attributes = new Map<string, string>();
    for (const attribute of (match[2] ?? '').matchAll(ATTRIBUTE)) {
      attributes.set((attribute[1] ?? '').toLowerCase(), attribute[2] ?? attribute[3] ?? attribute[4] ?? '');
    }
    for (const api of PRIVACY_APIS) {
      const { use } = api;
      if (use.kind !== 'component' || use.tag !== tag) continue;
      if (use.attr !== undefined) {
        const value = attributes.get(use.attr);
        if (value === undefined || !candidates(value).includes(use.value ?? '')) continue;
      }
      found.push({ ...positionOf(text, match.index), api });
    }
  }
  return found;
}

/** What an attribute value can be: itself, or for a data-bound value each quoted string and the plain text. */
function candidates(value: string): string[] {
  if (!value.includes('{{')) return [value.trim()];
  const values: string[] = [];
  for (const binding of value.matchAll(/\{\{([\s\S]*?)\}\}/g)) {
    for (const literal of (binding[1] ?? '').matchAll(/'([^']*)'|"([^"]*)"/g))
      values.push(literal[1] ?? literal[2] ?? '');
  }
  const plain = value.replace(/\{\{[\s\S]*?\}\}/g, '').trim();
  if (plain) values.push(plain);
  return values;
}

const KNOWN_INFO: ReadonlyArray<{ info: PrivacyInfo; key?: PrivacyInfoKey }> = [
  ...(Object.entries(PRIVACY_INFO) as Array<[PrivacyInfoKey, PrivacyInfo]>).map(([key, info]) => ({ info, key })),
  ...SELF_COLLECTED_INFO.map((info) => ({ info })),
];

/** Full- and half-width punctuation alike: （） and () are the same to a reader of the console. */
const same = (a: string, b: string) => a.normalize('NFKC').trim() === b.normalize('NFKC').trim();

/** privacy.json's declarations, or undefined when there is no such file. Problems of its own go to `problems`. */
function readDeclarations(project: ShipProject, problems: Problem[]): Declaration[] | undefined {
  const absolute = path.join(project.root, PRIVACY_FILE);
  if (!fs.existsSync(absolute)) return undefined;
  const file = PRIVACY_FILE;
  const parsed = readJson(absolute, file);
  if (!parsed.ok) {
    problems.push(parsed.problem);
    return [];
  }
  const { value, text } = parsed;
  const entries = isRecord(value) ? value['declarations'] : undefined;
  if (!Array.isArray(entries)) {
    problems.push({ file, line: 1, message: 'must be an object with a "declarations" array' });
    return [];
  }
  const declarations: Declaration[] = [];
  let from = 0;
  for (const [index, entry] of entries.entries()) {
    const where = `declarations[${index}]`;
    const label = isRecord(entry) && typeof entry['info'] === 'string' ? entry['info'] : undefined;
    const line = label === undefined ? undefined : lineOf(text, JSON.stringify(label).slice(1, -1), from);
    if (line !== undefined) from = text.indexOf(JSON.stringify(label).slice(1, -1), from) + 1;
    const problem = (message: string) => problems.push({ file, ...(line === undefined ? {} : { line }), message });
    if (!isRecord(entry) || label === undefined) {
      problem(`${where} needs "info": the console's name of the information, e.g. "手机号"`);
      continue;
    }
    const known = KNOWN_INFO.find((candidate) => same(candidate.info.label, label));
    if (!known) {
      problem(
        `${where}: "${label}" is not a kind of information the console lists (${KNOWN_INFO.map((k) => k.info.label).join('、')})`,
      );
      continue;
    }
    const { info } = known;
    if (declarations.some((other) => other.info === info)) {
      problem(`declares "${info.label}" twice`);
      continue;
    }
    if (entry['privacyKey'] !== undefined && entry['privacyKey'] !== info.privacyKey) {
      problem(`"${info.label}": privacyKey is "${info.privacyKey}"`);
    }
    if (typeof entry['processing'] !== 'string' || !same(entry['processing'], info.processing)) {
      problem(`"${info.label}": "processing" must be the guideline's wording, "${info.processing}"`);
    }
    if (typeof entry['purpose'] !== 'string' || entry['purpose'].trim() === '') {
      problem(`"${info.label}": "purpose" must say what it is used for (the console's 用途, shown as 为了……)`);
    }
    const selfCollected = entry['selfCollected'] === true;
    if (known.key && selfCollected) {
      problem(`"${info.label}" is collected through WeChat APIs: remove "selfCollected" (the check finds its uses)`);
    }
    if (!known.key && !selfCollected) {
      problem(
        `"${info.label}" has no WeChat API to find: mark it "selfCollected": true if the mini-program collects it`,
      );
    }
    declarations.push({ info, ...(known.key ? { key: known.key } : {}), line });
  }
  return declarations;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
