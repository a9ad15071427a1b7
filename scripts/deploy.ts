// `npm run deploy`: uploads every cloud function, then the mini-program, with WeChat's miniprogram-ci, using the
// upload key, appid and CloudBase env from environment variables or deploy.local.json (see docs/SHIPPING.md).
// `--dry-run` uploads nothing: it prints exactly what would be uploaded and needs no credentials (it says what a
// real deploy would still need) and no miniprogram-ci (without it, the mini-program is listed as its sources).
// Usage: npm run deploy [-- --dry-run] [--version 1.2.3] [--desc "text"] [--root DIR]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { redact, resolveCredentials } from './ship/credentials';
import {
  compileMiniprogram,
  miniprogramSources,
  packageProblems,
  stageFunctions,
  type MiniprogramPackage,
} from './ship/pack';
import { ShipError } from './ship/problems';
import { loadProject } from './ship/project';
import { describeFunctions, describeMiniprogram } from './ship/report';
import { loadCi, logsToStderr, toolsInstalled } from './ship/tools';

function option(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

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
  const dryRun = args.includes('--dry-run');
  const rootArg = option(args, '--root');
  const project = loadProject(rootArg ? path.resolve(rootArg) : defaultRoot);
  const version = option(args, '--version') ?? projectVersion(project.root);
  const desc = option(args, '--desc') ?? `npm run deploy ${version}`;
  const credentials = resolveCredentials(project, environment);
  if (!dryRun && !credentials.ok) {
    throw new ShipError(
      [
        'cannot deploy, missing:',
        ...credentials.missing.map((item) => `  - ${item}`),
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
    `1. cloud functions, each uploaded whole with cloud.uploadFunction (wx-server-sdk is bundled in: no npm install in the cloud):`,
  ))
    print(line);
  for (const line of describeMiniprogram(
    miniprogram,
    `2. mini-program, uploaded as version ${version} ("${desc}"), ${compiler}:`,
  ))
    print(line);

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
  print('npm run deploy: done. Set it as the trial version or submit it for review at mp.weixin.qq.com > 版本管理.');
  return 0;
}

// Run as a script (tests import runDeploy instead). miniprogram-ci leaves workers behind: exit explicitly.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) {
  runDeploy(process.argv.slice(2), process.env, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // A ShipError's message is ours and never holds the key; anything else (miniprogram-ci's) is shown as is.
      console.error(error instanceof ShipError ? `npm run deploy: ${error.message}` : error);
      process.exit(error instanceof ShipError ? error.exitCode : 1);
    },
  );
}
