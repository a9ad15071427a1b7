// `npm run deploy`: uploads every cloud function of cloudfunctions/ and creates the timer trigger its config.json
// declares, then uploads the mini-program, with WeChat's miniprogram-ci, using the upload key, appid and CloudBase
// env from environment variables or deploy.local.json (see docs/SHIPPING.md). It refuses to upload anything while
// the kit's placeholders remain (sample agreement texts, placeholder appid, `your-env-id`).
// `--dry-run` uploads nothing: it prints exactly what would be uploaded and needs no credentials (it says what a
// real deploy would still need), lists the placeholders as warnings, and needs no miniprogram-ci (without it, the
// mini-program is listed as its sources).
// Usage: npm run deploy [-- --dry-run] [--version 1.2.3] [--desc "text"] [--root DIR]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFlags, UsageError } from './args';
import { redact, resolveCredentials } from './ship/credentials';
import {
  compileMiniprogram,
  miniprogramSources,
  packageProblems,
  stageFunctions,
  type MiniprogramPackage,
} from './ship/pack';
import { findPlaceholders } from './ship/placeholders';
import { formatProblem, ShipError } from './ship/problems';
import { loadProject, rel } from './ship/project';
import { describeFunctions, describeMiniprogram, describePlaceholders } from './ship/report';
import { loadCi, logsToStderr, toolsInstalled } from './ship/tools';

/** createTimeTrigger's one success answer; it resolves with another text instead of throwing when refused. */
export const TRIGGER_CREATED = '创建定时触发器成功';

function projectVersion(root: string): string {
  const file = path.join(root, 'package.json');
  if (!fs.existsSync(file)) return '0.0.0';
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}

/** The whole command, with output through `print` so that tests can run it in-process. Returns the exit code. */
export async function runDeploy(
  args: readonly string[],
  environment: NodeJS.ProcessEnv,
  print: (line: string) => void,
  defaultRoot = path.join(__dirname, '..'),
): Promise<number> {
  const flags = parseFlags(
    'npm run deploy',
    args,
    {
      'dry-run': { type: 'boolean' },
      version: { type: 'string' },
      desc: { type: 'string' },
      root: { type: 'string' },
    },
    '[--dry-run] [--version 1.2.3] [--desc "text"] [--root DIR]',
  );
  const dryRun = flags['dry-run'] === true;
  const project = loadProject(flags.root !== undefined ? path.resolve(flags.root) : defaultRoot);
  const version = flags.version ?? projectVersion(project.root);
  const desc = flags.desc ?? `npm run deploy ${version}`;
  const credentials = resolveCredentials(project, environment);
  const placeholders = findPlaceholders(project);
  if (!dryRun && (!credentials.ok || placeholders.length > 0)) {
    throw new ShipError(
      [
        ...(credentials.ok ? [] : ['cannot deploy, missing:', ...credentials.missing.map((item) => `  - ${item}`)]),
        ...(placeholders.length === 0
          ? []
          : [
              "cannot deploy, the kit's placeholders are still in place (replace each one):",
              ...placeholders.map((problem) => `  - ${formatProblem(problem)}`),
            ]),
        'See docs/SHIPPING.md ("Deploy"). Nothing was uploaded.',
      ].join('\n'),
      2,
    );
  }

  const functions = await stageFunctions(project);
  let miniprogram: MiniprogramPackage;
  let compiler: string;
  if (!dryRun || toolsInstalled()) {
    const loaded = loadCi();
    miniprogram = await compileMiniprogram(project, loaded);
    compiler = `compiled by miniprogram-ci ${loaded.version}: exactly the files that upload`;
  } else {
    miniprogram = miniprogramSources(project);
    compiler =
      'miniprogram-ci is not installed, so these are the source files it would compile (npm run package shows the compiled files)';
  }

  print(dryRun ? 'npm run deploy --dry-run: nothing is uploaded' : 'npm run deploy');
  if (credentials.ok) {
    const { sources } = credentials.credentials;
    print(
      `  appid ${credentials.credentials.appid} (from ${sources.appid}), env ${credentials.credentials.env} (from ${sources.env}), upload key from ${sources.privateKey}, robot ${credentials.credentials.robot}`,
    );
  } else {
    print('  credentials: a real deploy would stop here, missing:');
    for (const item of credentials.missing) print(`    - ${item}`);
  }
  for (const line of describeFunctions(
    functions,
    `1. cloud functions: all ${functions.length} of ${rel(project, project.cloudfunctionRoot)}/, each uploaded whole with cloud.uploadFunction (wx-server-sdk is bundled in: no npm install in the cloud), then the timer trigger its config.json declares, if any, with cloud.createTimeTrigger:`,
  ))
    print(line);
  for (const line of describeMiniprogram(
    miniprogram,
    `2. mini-program, uploaded as version ${version} ("${desc}"), ${compiler}:`,
  ))
    print(line);

  if (dryRun) for (const line of describePlaceholders(placeholders)) print(line);

  const problems = packageProblems(miniprogram).filter(
    (problem) => miniprogram.kind === 'compiled' || problem.includes('should not ship'),
  );
  if (problems.length > 0) {
    print('refusing to deploy:');
    for (const problem of problems) print(`  - ${problem}`);
    return 1;
  }
  if (dryRun || !credentials.ok) return 0;

  const { ci } = loadCi();
  const { appid, env, privateKey, robot } = credentials.credentials;
  const triggerFailures: string[] = [];
  try {
    const ciProject = new ci.Project({
      appid,
      type: 'miniProgram',
      projectPath: project.root,
      privateKey,
      ignores: ['node_modules/**/*'],
    });
    for (const fn of functions) {
      print(`uploading cloud function ${fn.name} to ${env} ...`);
      const result = await logsToStderr(() =>
        ci.cloud.uploadFunction({
          project: ciProject,
          env,
          name: fn.name,
          path: path.join(project.root, fn.dir),
          // Everything is in the folder (wx-server-sdk bundled into index.js and sdk-deferred.js): the cloud
          // installs nothing, as DevTools' 上传并部署：所有文件.
          remoteNpmInstall: false,
        }),
      );
      print(`  ${fn.name}: ${result.filesCount} files, ${result.packSize} bytes uploaded, deployed`);
      for (const trigger of fn.triggers) {
        const answer = await logsToStderr(() =>
          ci.cloud.createTimeTrigger({
            project: ciProject,
            envId: env,
            functionName: fn.name,
            triggersConfig: [trigger],
          }),
        );
        if (answer === TRIGGER_CREATED) {
          print(`  ${fn.name}: timer trigger ${trigger.name} ("${trigger.config}") created`);
        } else {
          // Not thrown: the rest still uploads, and the deploy ends with this failure and exit code 1.
          print(`  ${fn.name}: timer trigger ${trigger.name} NOT created: miniprogram-ci answered "${answer}"`);
          triggerFailures.push(`${fn.name}: timer trigger ${trigger.name} ("${trigger.config}"): ${answer}`);
        }
      }
    }
    print(`uploading the mini-program as version ${version} ...`);
    const uploaded = await logsToStderr(() =>
      ci.upload({ project: ciProject, version, desc, robot, setting: { useProjectConfig: true } }),
    );
    for (const pkg of uploaded.subPackageInfo ?? []) print(`  ${pkg.name}: ${pkg.size} bytes`);
  } catch (error) {
    // miniprogram-ci's errors are shown, but never with the key in them.
    throw new ShipError(
      `upload failed: ${redact(error instanceof Error ? error.message : JSON.stringify(error), privateKey)}`,
    );
  }
  if (triggerFailures.length > 0) {
    // miniprogram-ci gives the same answer to every refusal (a wrong cron, an env without the function, ...).
    print('npm run deploy: uploaded, but these timer triggers were not created:');
    for (const failure of triggerFailures) print(`  - ${failure}`);
    print(
      '  Check each in 云开发控制台 > 云函数 > <function> > 触发器, or right-click its config.json in DevTools > 上传触发器.',
    );
    return 1;
  }
  print('npm run deploy: done. Set it as the trial version or submit it for review at mp.weixin.qq.com > 版本管理.');
  return 0;
}

// Run as a script (tests import runDeploy instead). miniprogram-ci leaves workers behind: exit explicitly.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) {
  runDeploy(process.argv.slice(2), process.env, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // A ShipError's message is ours and never holds the key; anything else (miniprogram-ci's) is shown as is.
      console.error(
        error instanceof UsageError
          ? error.message
          : error instanceof ShipError
            ? `npm run deploy: ${error.message}`
            : error,
      );
      process.exit(error instanceof ShipError ? error.exitCode : 1);
    },
  );
}
