// `npm run check`: what WeChat DevTools (or WeChat's review) would reject, from the command line. Every check runs (one failure does not
// hide the next), problems print as file:line:column: message, and the exit code is 1 when any check failed.
// Usage: npm run check [-- --only templates,config] [--skip lint,typecheck] [--root DIR]
import * as path from 'node:path';
import { parseFlags, UsageError } from '../args';
import { formatProblem, ShipError } from '../ship/problems';
import { loadProject, type ShipProject } from '../ship/project';
import { checkConfig } from './config';
import { checkFunctions } from './functions';
import { checkLint } from './lint';
import { checkPrivacy } from './privacy';
import { checkTemplates } from './templates';
import { checkTypes } from './typecheck';
import type { Check, CheckResult } from './types';

export const CHECKS: readonly Check[] = [
  { name: 'templates', run: checkTemplates },
  { name: 'config', run: checkConfig },
  { name: 'functions', run: checkFunctions },
  { name: 'privacy', run: checkPrivacy },
  { name: 'lint', run: checkLint },
  { name: 'typecheck', run: checkTypes },
];

export interface CheckOutcome extends CheckResult {
  name: string;
  ms: number;
}

export async function runChecks(project: ShipProject, names?: readonly string[]): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  for (const check of CHECKS.filter((c) => !names || names.includes(c.name))) {
    const started = Date.now();
    let result: CheckResult;
    try {
      result = await check.run(project);
    } catch (error) {
      // A check that cannot run has failed, with its reason, and the others still run.
      const message = error instanceof Error ? error.message : String(error);
      result = {
        problems: [{ file: '.', message: `${check.name} could not run: ${message}` }],
        summary: 'did not run',
      };
    }
    outcomes.push({ ...result, name: check.name, ms: Date.now() - started });
  }
  return outcomes;
}

function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

async function main(args: readonly string[]): Promise<number> {
  const flags = parseFlags(
    'npm run check',
    args,
    { only: { type: 'string' }, skip: { type: 'string' }, root: { type: 'string' } },
    '[--only a,b] [--skip a,b] [--root DIR]',
  );
  const root = flags.root !== undefined ? path.resolve(flags.root) : path.join(__dirname, '..', '..');
  const only = list(flags.only);
  const skip = list(flags.skip) ?? [];
  const unknown = [...(only ?? []), ...skip].filter((name) => !CHECKS.some((c) => c.name === name));
  if (unknown.length > 0)
    throw new ShipError(`unknown check ${unknown.join(', ')}; checks: ${CHECKS.map((c) => c.name).join(', ')}`, 2);
  const names = CHECKS.map((c) => c.name).filter((name) => (!only || only.includes(name)) && !skip.includes(name));

  const project = loadProject(root);
  const outcomes: CheckOutcome[] = [];
  for (const name of names) {
    const [outcome] = await runChecks(project, [name]);
    if (!outcome) continue;
    outcomes.push(outcome);
    const mark = outcome.problems.length === 0 ? 'ok  ' : 'FAIL';
    console.log(`${mark} ${outcome.name.padEnd(10)} ${outcome.summary} (${(outcome.ms / 1000).toFixed(1)} s)`);
    for (const problem of outcome.problems) console.log(`       ${formatProblem(problem)}`);
  }
  const failed = outcomes.filter((outcome) => outcome.problems.length > 0);
  const total = failed.reduce((sum, outcome) => sum + outcome.problems.length, 0);
  console.log(
    failed.length === 0
      ? `npm run check: all ${outcomes.length} checks passed (${outcomes.map((o) => o.name).join(', ')})`
      : `npm run check: ${failed.length} of ${outcomes.length} checks failed (${failed.map((o) => o.name).join(', ')}), ${total} problem${total === 1 ? '' : 's'}`,
  );
  return failed.length === 0 ? 0 : 1;
}

// Run as a script (not when a test imports runChecks).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // A UsageError's message already names the command.
      console.error(
        error instanceof UsageError
          ? error.message
          : error instanceof ShipError
            ? `npm run check: ${error.message}`
            : error,
      );
      process.exit(error instanceof ShipError ? error.exitCode : 1);
    },
  );
}
