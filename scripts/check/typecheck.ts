import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { Problem } from '../ship/problems';
import { functionNames, rel, type ShipProject } from '../ship/project';
import type { CheckResult } from './types';

interface Target {
  config: string;
  required: boolean;
  /** Extra promises this config must keep, checked on the program it builds. */
  verify?: (program: ts.Program, fileNames: readonly string[], file: string) => Problem[];
}

/**
 * The TypeScript programs: the root (Node 20: devcloud, scripts, tests), the mini-program against
 * miniprogram-api-typings, the code that runs in CloudBase (contracts, cloudbase, cloudfunctions/*\/src) against
 * the SDK's own types and Node 16's library, so an API newer than the oldest runtime fails here, and devcloud's
 * console page (browser code).
 */
export async function checkTypes(project: ShipProject): Promise<CheckResult> {
  // Most specific first: an error found by several programs is reported once, under the config that explains it
  // (a Node 18 API under tsconfig.functions.json rather than under the root's Node 20 view of the same file).
  const targets: Target[] = [
    {
      config: path.join(project.miniprogramRoot, 'tsconfig.json'),
      required: true,
      verify: (program, _files, file) =>
        program.getCompilerOptions().types?.includes('miniprogram-api-typings')
          ? []
          : [{ file, message: 'the mini-program must be type-checked against "types": ["miniprogram-api-typings"]' }],
    },
    {
      config: path.join(project.root, 'tsconfig.functions.json'),
      required: true,
      verify: (program, fileNames, file) => verifyFunctionsProgram(project, program, fileNames, file),
    },
    { config: path.join(project.root, 'tsconfig.json'), required: false },
    // devcloud's console: browser code (Preact, JSX), outside the root program.
    { config: path.join(project.root, 'devcloud', 'console', 'tsconfig.json'), required: false },
  ];
  const problems: Problem[] = [];
  const ran: string[] = [];
  const seen = new Set<string>();
  for (const target of targets) {
    const file = rel(project, target.config);
    if (!fs.existsSync(target.config)) {
      if (target.required) problems.push({ file, message: 'missing: see docs/SHIPPING.md (typecheck)' });
      continue;
    }
    ran.push(file);
    let configError: ts.Diagnostic | undefined;
    const parsed = ts.getParsedCommandLineOfConfigFile(
      target.config,
      { noEmit: true },
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
          configError = diagnostic;
        },
      },
    );
    if (!parsed) {
      problems.push(toProblem(project, configError, file));
      continue;
    }
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
    const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
    for (const diagnostic of diagnostics) {
      const key = diagnostic.file
        ? `${diagnostic.file.fileName}:${diagnostic.start ?? ''}:${diagnostic.code}`
        : undefined;
      if (key !== undefined && seen.has(key)) continue;
      if (key !== undefined) seen.add(key);
      problems.push(toProblem(project, diagnostic, file));
    }
    problems.push(...(target.verify?.(program, parsed.fileNames, file) ?? []));
  }
  return { problems, summary: ran.join(', ') || 'no tsconfig' };
}

function verifyFunctionsProgram(
  project: ShipProject,
  program: ts.Program,
  fileNames: readonly string[],
  file: string,
): Problem[] {
  const problems: Problem[] = [];
  const loaded = program.getSourceFiles().map((source) => source.fileName.split(path.sep).join('/'));
  if (loaded.some((name) => name.includes('/node_modules/@types/node/'))) {
    problems.push({
      file,
      message: 'loads @types/node (Node 20): the cloud functions must see Node 16 typings only ("types": ["node16"])',
    });
  }
  if (loaded.some((name) => /\/lib\.dom\.d\.ts$/.test(name))) {
    problems.push({ file, message: 'loads the DOM library: CloudBase functions run on Node, which has no DOM' });
  }
  const covered = new Set(fileNames.map((name) => path.resolve(name)));
  for (const name of functionNames(project)) {
    const entry = path.join(project.cloudfunctionRoot, name, 'src', 'index.ts');
    if (fs.existsSync(entry) && !covered.has(entry)) {
      problems.push({
        file,
        message: `does not include ${rel(project, entry)}: every function must be checked against Node 16`,
      });
    }
  }
  return problems;
}

function toProblem(project: ShipProject, diagnostic: ts.Diagnostic | undefined, configFile: string): Problem {
  if (!diagnostic) return { file: configFile, message: 'cannot read this tsconfig' };
  const message = `[${configFile}] TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
  if (!diagnostic.file || diagnostic.start === undefined) return { file: configFile, message };
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return { file: rel(project, diagnostic.file.fileName), line: line + 1, column: character + 1, message };
}
