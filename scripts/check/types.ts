import type { ShipProject } from '../ship/project';
import type { Problem } from '../ship/problems';

export interface CheckResult {
  problems: Problem[];
  /** One line on what was checked, printed whether it passed or not. */
  summary: string;
}

export interface Check {
  name: string;
  run(project: ShipProject): Promise<CheckResult>;
}
