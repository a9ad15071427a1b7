// `npm run package`: builds the mini-program the way WeChat DevTools does (miniprogram-ci's getCompiledResult,
// offline) and every cloud function into the folder that would upload, then prints sizes against WeChat's limits,
// every file that would ship, any that should not, each compiled require() that points at a file the package lacks,
// and the placeholders left (as warnings). Exit code 1 when a limit is exceeded, an unwanted file would ship or a
// require() would fail on a phone. miniprogram-ci is installed into tools/ on first use (see docs/SHIPPING.md).
// Usage: npm run package [-- --root DIR]
import * as path from 'node:path';
import { parseFlags, UsageError } from './args';
import { compileMiniprogram, packageProblems, stageFunctions } from './ship/pack';
import { ShipError } from './ship/problems';
import { loadProject } from './ship/project';
import { findPlaceholders } from './ship/placeholders';
import { describeFunctions, describeMiniprogram, describePlaceholders } from './ship/report';
import { loadCi } from './ship/tools';

async function main(args: readonly string[]): Promise<number> {
  const flags = parseFlags('npm run package', args, { root: { type: 'string' } }, '[--root DIR]');
  const project = loadProject(flags.root !== undefined ? path.resolve(flags.root) : path.join(__dirname, '..'));
  const loaded = loadCi();
  const miniprogram = await compileMiniprogram(project, loaded);
  console.log(
    describeMiniprogram(
      miniprogram,
      `mini-program, compiled by miniprogram-ci ${loaded.version} (getCompiledResult, offline):`,
    ).join('\n'),
  );
  const functions = await stageFunctions(project);
  console.log(
    describeFunctions(
      functions,
      'cloud functions, as they upload (wx-server-sdk is bundled in: the cloud installs nothing):',
    ).join('\n'),
  );
  // The kit is a template: its placeholders warn here and stop only a real deploy.
  console.log(describePlaceholders(findPlaceholders(project)).join('\n'));
  const problems = packageProblems(miniprogram);
  if (problems.length > 0) {
    console.log(`npm run package: FAILED\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    return 1;
  }
  console.log('npm run package: ok');
  return 0;
}

// miniprogram-ci leaves worker processes and timers behind: exit explicitly once the report is out.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A UsageError's message already names the command.
    console.error(
      error instanceof UsageError
        ? error.message
        : error instanceof ShipError
          ? `npm run package: ${error.message}`
          : error,
    );
    process.exit(error instanceof ShipError ? error.exitCode : 1);
  },
);
