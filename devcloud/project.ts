import { existsSync, readFileSync } from 'fs';
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
