import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRecord, readJson } from './json';
import { lineOf, type Problem } from './problems';
import { rel, type ShipProject } from './project';

/** A timer trigger as a function's config.json declares it, and as miniprogram-ci's createTimeTrigger takes it. */
export interface TimerTrigger {
  name: string;
  type: 'timer';
  /** CloudBase's 7-field cron: seconds minutes hours day month weekday year. */
  config: string;
}

/** CloudBase: up to 60 characters of a-z, A-Z, 0-9, - and _, starting with a letter. */
const TRIGGER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;

/**
 * The `triggers` of cloudfunctions/<name>/config.json. Uploading config.json does not install them (DevTools needs
 * 右键 config.json > 上传触发器; npm run deploy calls cloud.createTimeTrigger), so they are read and checked here.
 */
export function readTriggers(project: ShipProject, name: string): { triggers: TimerTrigger[]; problems: Problem[] } {
  const configPath = path.join(project.cloudfunctionRoot, name, 'config.json');
  if (!fs.existsSync(configPath)) return { triggers: [], problems: [] };
  const file = rel(project, configPath);
  const parsed = readJson(configPath, file);
  // An unreadable config.json is the functions check's to report.
  if (!parsed.ok || !isRecord(parsed.value) || parsed.value['triggers'] === undefined)
    return { triggers: [], problems: [] };
  const declared = parsed.value['triggers'];
  const at = lineOf(parsed.text, '"triggers"');
  const problem = (message: string): Problem => ({ file, ...(at === undefined ? {} : { line: at }), message });
  if (!Array.isArray(declared)) return { triggers: [], problems: [problem('"triggers" must be an array')] };
  const triggers: TimerTrigger[] = [];
  const problems: Problem[] = [];
  declared.forEach((item: unknown, index) => {
    const label = `triggers[${index}]`;
    if (!isRecord(item)) {
      problems.push(problem(`${label} must be an object with name, type and config`));
      return;
    }
    const { name: triggerName, type, config } = item;
    if (typeof triggerName !== 'string' || !TRIGGER_NAME.test(triggerName))
      problems.push(problem(`${label}.name must start with a letter: up to 60 of a-z A-Z 0-9 - _`));
    else if (type !== 'timer') problems.push(problem(`${label}.type must be "timer" (CloudBase's only trigger type)`));
    else if (typeof config !== 'string' || config.trim().split(/\s+/).length !== 7)
      problems.push(problem(`${label}.config must be a 7-field cron (seconds minutes hours day month weekday year)`));
    else triggers.push({ name: triggerName, type, config: config.trim() });
  });
  // WeChat's config.json format: "目前仅支持一个触发器", and createTimeTrigger takes one at a time.
  if (declared.length > 1)
    problems.push(problem(`declares ${declared.length} triggers: CloudBase takes one per function`));
  return { triggers, problems };
}
