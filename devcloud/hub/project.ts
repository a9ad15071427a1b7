import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join, resolve } from 'path';

/**
 * Where a mini-program project keeps its cloud functions: `cloudfunctionRoot` of the project.config.json in `dir`
 * (WeChat DevTools' own setting), else `<dir>/cloudfunctions`. This is what devcloud runs when told nothing else.
 */
export function projectFunctionsDir(dir: string = process.cwd()): string {
  const configFile = join(dir, 'project.config.json');
  if (existsSync(configFile)) {
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (error) {
      throw new Error(`${configFile} is not valid JSON: ${(error as Error).message}`);
    }
    const root = (config as { cloudfunctionRoot?: unknown } | null)?.cloudfunctionRoot;
    if (typeof root === 'string' && root.trim() !== '') return resolve(dir, root);
  }
  return resolve(dir, 'cloudfunctions');
}

/** WeChat DevTools' folder of database security rules in a project: `<dir>/database-rules`, when there is one. */
export function projectRulesDir(dir: string = process.cwd()): string | undefined {
  const rules = resolve(dir, 'database-rules');
  return existsSync(rules) && statSync(rules).isDirectory() ? rules : undefined;
}

/**
 * The collections a rules folder declares: one `<collection>.json` per collection, as the CloudBase console keeps a
 * security rule per collection. Each exists from the start, like a collection created in the console.
 */
export function collectionsInRulesDir(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such rules folder`);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') && name.length > '.json'.length)
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}
