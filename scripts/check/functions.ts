import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleFunction, functionEntry } from '../ship/bundle';
import { isRecord, readJson } from '../ship/json';
import { scanOpenApi } from '../ship/openapi-scan';
import { lineOf, type Problem } from '../ship/problems';
import { functionNames, rel, type ShipProject } from '../ship/project';
import { readTriggers } from '../ship/triggers';
import type { CheckResult } from './types';

const API_NAME = /^[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*$/;

/**
 * Each cloud function: config.json is valid and its permissions.openapi names exactly the cloud calls the bundled
 * code makes (the cloud answers -604101 to an undeclared one; an unused one is a permission nobody needs), every
 * call is named so that this can be checked, package.json provides what the bundle requires at run time, and its
 * timer triggers are ones CloudBase accepts (one per function, type timer, a 7-field cron).
 */
export async function checkFunctions(project: ShipProject): Promise<CheckResult> {
  const problems: Problem[] = [];
  const names = functionNames(project);
  let callCount = 0;
  for (const name of names) {
    const dir = path.join(project.cloudfunctionRoot, name);
    const entry = functionEntry(project, name);
    if (!entry) {
      problems.push({ file: rel(project, dir), message: 'has no src/index.ts (or index.js): nothing to deploy' });
      continue;
    }
    const bundled = await bundleFunction(project, name, entry);
    if (!bundled.ok) {
      problems.push(...bundled.problems);
      continue;
    }
    const scan = scanOpenApi(bundled.bundle.sources);
    callCount += scan.calls.length;
    for (const use of scan.unnamed) {
      problems.push({
        file: rel(project, use.file),
        line: use.line,
        column: use.column,
        message: `${name}: cannot tell which cloud call this makes (${use.text}); call it as cloud.openapi.<namespace>.<api>(...) so config.json can be checked`,
      });
    }

    const configPath = path.join(dir, 'config.json');
    const configFile = rel(project, configPath);
    let declared: { api: string; line: number | undefined }[] = [];
    if (!fs.existsSync(configPath)) {
      if (scan.calls.length > 0)
        problems.push({ file: configFile, message: `${name}: missing, but the function makes cloud calls` });
    } else {
      const parsed = readJson(configPath, configFile);
      if (!parsed.ok) problems.push(parsed.problem);
      else declared = readPermissions(parsed.value, parsed.text, configFile, problems);
    }

    const declaredNames = new Set(declared.map((entry) => entry.api));
    const calledNames = new Set(scan.calls.map((call) => call.api));
    for (const call of scan.calls) {
      if (!declaredNames.has(call.api)) {
        problems.push({
          file: rel(project, call.file),
          line: call.line,
          column: call.column,
          message: `${name}: calls openapi ${call.api}, which ${configFile} does not declare in permissions.openapi (the cloud would answer -604101)`,
        });
      }
    }
    for (const { api, line } of declared) {
      if (!calledNames.has(api)) {
        problems.push({
          file: configFile,
          line,
          message: `declares openapi permission "${api}", but ${name}'s code never calls it`,
        });
      }
    }
    problems.push(...checkPackageJson(project, name, bundled.bundle.externals, bundled.bundle.bundledPackages));
    problems.push(...readTriggers(project, name).problems);
  }
  return {
    problems,
    summary: `${names.length} function${names.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}), ${callCount} cloud call${callCount === 1 ? '' : 's'}`,
  };
}

function readPermissions(
  config: unknown,
  text: string,
  file: string,
  problems: Problem[],
): { api: string; line: number | undefined }[] {
  if (!isRecord(config)) {
    problems.push({ file, line: 1, message: 'must be a JSON object like {"permissions":{"openapi":[]}}' });
    return [];
  }
  const permissions = config['permissions'];
  if (permissions === undefined) return [];
  const openapi = isRecord(permissions) ? permissions['openapi'] : undefined;
  if (!isRecord(permissions) || (openapi !== undefined && !Array.isArray(openapi))) {
    problems.push({
      file,
      line: lineOf(text, '"permissions"'),
      message: 'permissions.openapi must be an array of API names like "security.msgSecCheck"',
    });
    return [];
  }
  const out: { api: string; line: number | undefined }[] = [];
  const seen = new Set<string>();
  for (const api of openapi ?? []) {
    const line = typeof api === 'string' ? lineOf(text, `"${api}"`) : lineOf(text, '"openapi"');
    if (typeof api !== 'string' || !API_NAME.test(api)) {
      problems.push({
        file,
        line,
        message: `permissions.openapi entry ${JSON.stringify(api)} is not an API name like "security.msgSecCheck"`,
      });
    } else if (seen.has(api)) {
      problems.push({ file, line, message: `permissions.openapi lists "${api}" twice` });
    } else {
      seen.add(api);
      out.push({ api, line });
    }
  }
  return out;
}

/**
 * The cloud installs the function's dependencies from its package.json: what the bundle leaves external must be
 * there, and what it already contains must not (wx-server-sdk is bundled: listing it would make the cloud install
 * 44 MB that nothing loads, and the upload could no longer skip the cloud-side npm install).
 */
function checkPackageJson(
  project: ShipProject,
  name: string,
  externals: readonly string[],
  bundled: readonly string[],
): Problem[] {
  const packagePath = path.join(project.cloudfunctionRoot, name, 'package.json');
  const file = rel(project, packagePath);
  if (!fs.existsSync(packagePath)) {
    return externals.length > 0
      ? [{ file, message: `${name}: missing; the bundle requires ${externals.join(', ')} at run time` }]
      : [];
  }
  const parsed = readJson(packagePath, file);
  if (!parsed.ok) return [parsed.problem];
  const dependencies =
    isRecord(parsed.value) && isRecord(parsed.value['dependencies']) ? parsed.value['dependencies'] : {};
  const missing = externals
    .filter((dependency) => !(dependency in dependencies))
    .map((dependency) => ({
      file,
      line: lineOf(parsed.text, '"dependencies"') ?? 1,
      message: `${name}: the bundle requires "${dependency}" at run time, but dependencies does not list it (the cloud installs only what is listed)`,
    }));
  const needless = Object.keys(dependencies)
    .filter((dependency) => bundled.includes(dependency))
    .map((dependency) => ({
      file,
      line: lineOf(parsed.text, `"${dependency}"`) ?? 1,
      message: `${name}: dependencies lists "${dependency}", which is bundled into index.js: remove it, so that the upload needs no npm install in the cloud`,
    }));
  return [...missing, ...needless];
}
