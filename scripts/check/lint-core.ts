import { ESLint, type Linter } from 'eslint';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { type Problem } from '../ship/problems';
import { functionNames, listFiles, rel, type ShipProject } from '../ship/project';
import type { CheckResult } from './types';

/** What the mini-program's code may use without importing: WeChat's runtime globals. */
export const WECHAT_GLOBALS = ['wx', 'App', 'Page', 'Component', 'getApp', 'getCurrentPages'];

/** Share of typescript-eslint's strict-type-checked rules that must stay on: a few may be turned off, with reason. */
const STRICT_SHARE = 0.8;

const PRETTIER_EXTENSIONS = ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.md', '.yml', '.yaml', '.css', '.wxss'];

/** What the ESLint run yields for the checks below: its messages and the calculated config of the sample files. */
interface EslintReport {
  results: ESLint.LintResult[];
  configs: Record<string, unknown>;
}

/**
 * The lint check, in this process: ESLint over the project with its own flat config, which must be what the
 * project promises (typescript-eslint strict type-checked, consistent-type-imports, WeChat's globals for the
 * mini-program); then Prettier over ts, json and wxss (wxss with Prettier's CSS parser). WXML has no Prettier
 * parser: see docs/SHIPPING.md. `configOnly` skips the linting and formatting, keeping the config promises.
 */
export async function lintProject(project: ShipProject, configOnly = false): Promise<CheckResult> {
  let report: EslintReport;
  try {
    const eslint = new ESLint({ cwd: project.root });
    const results = configOnly ? [] : await eslint.lintFiles(['.']);
    const configs: Record<string, unknown> = {};
    for (const sample of configSamples(project)) {
      configs[sample.path] = (await eslint.calculateConfigForFile(sample.path)) as unknown;
    }
    report = { results, configs };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return {
      problems: [{ file: 'eslint.config.mjs', message: `ESLint could not run: ${message}` }],
      summary: 'eslint',
    };
  }
  const problems: Problem[] = [];
  for (const result of report.results) {
    for (const message of result.messages) {
      if (message.severity !== 2) continue;
      problems.push({
        file: rel(project, result.filePath),
        line: message.line,
        column: message.column,
        message: `${message.ruleId ?? 'eslint'}: ${message.message}`,
      });
    }
  }
  problems.push(...checkEslintConfig(project, report));
  if (configOnly) return { problems, summary: 'eslint config' };

  const formatting = await checkPrettier(project);
  problems.push(...formatting.problems);
  return { problems, summary: `eslint ${report.results.length} files, prettier ${formatting.count} files` };
}

/** A miniprogram .ts and a cloud function's entry: the files whose ESLint config must keep the promises. */
function configSamples(project: ShipProject): { path: string; miniprogram: boolean }[] {
  const miniprogramTs = listFiles(project.miniprogramRoot).find((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const functionTs = functionNames(project)
    .map((name) => path.join(project.cloudfunctionRoot, name, 'src', 'index.ts'))
    .find((f) => fs.existsSync(f));
  return [
    ...(miniprogramTs ? [{ path: path.join(project.miniprogramRoot, miniprogramTs), miniprogram: true }] : []),
    ...(functionTs ? [{ path: functionTs, miniprogram: false }] : []),
  ];
}

/** The parts of ESLint's calculated config (typed `any` by ESLint) that we read. */
interface CalculatedConfig {
  rules?: Partial<Linter.RulesRecord>;
  languageOptions?: { parserOptions?: Record<string, unknown>; globals?: Record<string, unknown> };
}

function isOn(entry: Linter.RuleEntry | undefined): boolean {
  if (entry === undefined) return false;
  const severity = Array.isArray(entry) ? entry[0] : entry;
  return severity !== 0 && severity !== 'off';
}

function checkEslintConfig(project: ShipProject, report: EslintReport): Problem[] {
  const problems: Problem[] = [];
  const configFile = ['eslint.config.mjs', 'eslint.config.js', 'eslint.config.cjs', 'eslint.config.ts'].find((file) =>
    fs.existsSync(path.join(project.root, file)),
  );
  const file = configFile ?? 'eslint.config.mjs';
  const strictRules = strictTypeCheckedRules(project.root);
  for (const sample of configSamples(project)) {
    const config = report.configs[sample.path] as CalculatedConfig | undefined;
    const where = rel(project, sample.path);
    if (!config) {
      problems.push({ file, message: `no ESLint config applies to ${where}` });
      continue;
    }
    const rules = config.rules ?? {};
    const parserOptions = config.languageOptions?.parserOptions ?? {};
    if (!parserOptions['projectService'] && !parserOptions['project']) {
      problems.push({
        file,
        message: `${where}: linted without type information (set parserOptions.projectService): type-checked rules cannot run`,
      });
    }
    const on = strictRules.filter((rule) => isOn(rules[rule]));
    if (strictRules.length > 0 && on.length < strictRules.length * STRICT_SHARE) {
      problems.push({
        file,
        message: `${where}: only ${on.length} of typescript-eslint's ${strictRules.length} strict-type-checked rules are on (use tseslint.configs.strictTypeChecked)`,
      });
    }
    if (!isOn(rules['@typescript-eslint/consistent-type-imports'])) {
      problems.push({ file, message: `${where}: @typescript-eslint/consistent-type-imports is off` });
    }
    if (sample.miniprogram) {
      const globals = config.languageOptions?.globals ?? {};
      const missing = WECHAT_GLOBALS.filter((name) => !(name in globals));
      if (missing.length > 0) {
        problems.push({
          file,
          message: `${where}: the mini-program globals ${missing.join(', ')} are not declared (languageOptions.globals)`,
        });
      }
    }
  }
  return problems;
}

/** The rule names typescript-eslint's strictTypeChecked turns on, from the project's own copy of it. */
function strictTypeCheckedRules(root: string): string[] {
  try {
    const projectRequire = createRequire(path.join(root, 'package.json'));
    const tseslint = projectRequire('typescript-eslint') as { configs: { strictTypeChecked: Linter.Config[] } };
    const merged: Partial<Linter.RulesRecord> = {};
    for (const config of tseslint.configs.strictTypeChecked) Object.assign(merged, config.rules ?? {});
    return Object.keys(merged).filter((rule) => isOn(merged[rule]));
  } catch {
    return [];
  }
}

/** Prettier as `prettier --check .` sees it (.gitignore and .prettierignore apply), plus .wxss through the CSS parser. */
async function checkPrettier(project: ShipProject): Promise<{ problems: Problem[]; count: number }> {
  const ignorePath = ['.gitignore', '.prettierignore']
    .map((name) => path.join(project.root, name))
    .filter((file) => fs.existsSync(file));
  const problems: Problem[] = [];
  let count = 0;
  const candidates = listFiles(project.root, ['node_modules', '.git']).filter((file) =>
    PRETTIER_EXTENSIONS.includes(path.extname(file)),
  );
  for (const relative of candidates) {
    const absolute = path.join(project.root, relative);
    const info = await prettier.getFileInfo(absolute, { ignorePath });
    if (info.ignored) continue;
    const parser = info.inferredParser ?? (relative.endsWith('.wxss') ? 'css' : null);
    if (!parser) continue;
    count += 1;
    const text = fs.readFileSync(absolute, 'utf8');
    const options = { ...((await prettier.resolveConfig(absolute)) ?? {}), filepath: absolute, parser };
    try {
      const formatted = await prettier.format(text, options);
      if (formatted === text) continue;
      const line = firstDifferentLine(text, formatted);
      problems.push({
        file: relative,
        line,
        message: `not formatted as Prettier would (run: npx prettier --write ${relative}${parser === 'css' && relative.endsWith('.wxss') ? ' --parser css' : ''})`,
      });
    } catch (error) {
      const loc = (error as { loc?: { start?: { line?: number; column?: number } } }).loc?.start;
      const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      problems.push({
        file: relative,
        ...(loc?.line ? { line: loc.line, column: loc.column } : {}),
        message: `prettier cannot parse it: ${message}`,
      });
    }
  }
  return { problems, count };
}

function firstDifferentLine(a: string, b: string): number {
  const left = a.split('\n');
  const right = b.split('\n');
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) if (left[i] !== right[i]) return i + 1;
  return 1;
}
