import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRecord, parseJson } from '../ship/json';
import { positionOf, type Problem } from '../ship/problems';
import { listFiles, rel, type ShipProject } from '../ship/project';
import { compileWxml, compileWxss, type CompilerError, type WxmlUnit } from '../ship/wechat-compiler';
import type { CheckResult } from './types';

/**
 * Every .wxml and .wxss of the mini-program through WeChat's own compilers (wcc, wcsc), plus what wcc lets through
 * silently but the runtime then misses: an <import>/<include> whose src does not exist.
 */
export async function checkTemplates(project: ShipProject): Promise<CheckResult> {
  const root = project.miniprogramRoot;
  const files = listFiles(root);
  const wxml = files.filter((file) => file.endsWith('.wxml'));
  const wxs = files.filter((file) => file.endsWith('.wxs'));
  const wxss = files.filter((file) => file.endsWith('.wxss'));
  const hasJson = (file: string): boolean => files.includes(file.replace(/\.\w+$/, '.json'));

  const units: WxmlUnit[] = wxml.map((file) => ({ wxml: file, components: componentTags(root, file) }));
  const toProblem = (error: CompilerError): Problem => ({
    file: rel(project, path.join(root, error.file)),
    ...(error.line === undefined ? importLine(root, error) : { line: error.line, column: error.column }),
    message: error.message,
  });

  const problems = [
    ...compileWxml(root, units, wxs).map(toProblem),
    ...compileWxss(
      root,
      wxss.filter(hasJson),
      wxss.filter((file) => !hasJson(file)),
    ).map(toProblem),
    ...wxml.flatMap((file) => missingTemplateImports(project, file)),
  ];
  return {
    problems,
    summary: `${wxml.length} wxml, ${wxss.length} wxss${wxs.length ? `, ${wxs.length} wxs` : ''} through wcc/wcsc`,
  };
}

/** usingComponents keys of the page or component the WXML belongs to; an unreadable JSON is config's to report. */
function componentTags(root: string, wxml: string): string[] {
  const json = path.join(root, wxml.replace(/\.wxml$/, '.json'));
  if (!fs.existsSync(json)) return [];
  const parsed = parseJson(fs.readFileSync(json, 'utf8'), json);
  if (!parsed.ok || !isRecord(parsed.value)) return [];
  const using = parsed.value['usingComponents'];
  return isRecord(using) ? Object.keys(using) : [];
}

/** wcsc names the importing file but not the line: find the @import that names the missing path. */
function importLine(root: string, error: CompilerError): { line?: number } {
  if (error.missingImport === undefined) return {};
  const text = fs.readFileSync(path.join(root, error.file), 'utf8');
  const index = text.indexOf(error.missingImport);
  return index < 0 ? {} : { line: positionOf(text, index).line };
}

const TEMPLATE_REFERENCE = /<(import|include)\b[^>]*?\bsrc\s*=\s*("([^"]*)"|'([^']*)')/g;

function missingTemplateImports(project: ShipProject, file: string): Problem[] {
  const absolute = path.join(project.miniprogramRoot, file);
  const text = fs.readFileSync(absolute, 'utf8');
  const problems: Problem[] = [];
  for (const match of text.matchAll(TEMPLATE_REFERENCE)) {
    const src = match[3] ?? match[4] ?? '';
    // Data-bound paths are resolved at run time: nothing to check statically.
    if (src.includes('{{')) continue;
    const base = src.startsWith('/') ? project.miniprogramRoot : path.dirname(absolute);
    const target = path.join(base, src.replace(/^\//, ''));
    const candidates = target.endsWith('.wxml') ? [target] : [target, `${target}.wxml`];
    if (candidates.some((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile())) continue;
    problems.push({
      file: rel(project, absolute),
      ...positionOf(text, match.index),
      message: `<${match[1]!} src="${src}">: ${rel(project, candidates[candidates.length - 1]!)} does not exist`,
    });
  }
  return problems;
}
