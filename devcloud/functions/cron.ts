/**
 * CloudBase's timer-trigger cron: SEVEN required fields, `second minute hour day month weekday year`, read in
 * UTC+8. https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/functions/triggers.html says:
 * - second 0-59, minute 0-59, hour 0-23, day 1-31, month 1-12 or JAN..DEC, weekday 0-6 or SUN..SAT (0 is Sunday),
 *   year 1970-2099; the only wildcards are `,` `-` `*` `/` (so no `?`, `L`, `W`, `#`, and no 7 for Sunday).
 * - when both day and weekday are given, they are ORed: either one matching fires the trigger.
 * - "触发器规则的时区为 UTC+8".
 *
 * cron-parser (a well-kept parser, used here for the first six fields and the next-time arithmetic) accepts six
 * fields at most and is more lenient than CloudBase (`?`, `L`, `W`, `#`, 7 for Sunday), so the expression is
 * checked against CloudBase's grammar first and the year field is applied here.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';

/** CloudBase evaluates timer triggers in UTC+8; China has had no daylight saving time since 1991. */
export const TRIGGER_TIME_ZONE = 'Asia/Shanghai';

export class CronSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronSyntaxError';
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name stands for this number (JAN is 1, SUN is 0). */
  namesFrom?: number;
}

const FIELDS: FieldRule[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'weekday', min: 0, max: 6, names: WEEKDAYS, namesFrom: 0 },
  { name: 'year', min: 1970, max: 2099 },
];

/** A parsed CloudBase cron expression: answers when it fires next. */
export interface CloudBaseCron {
  readonly expression: string;
  /** The first firing strictly after `after`, or undefined when it never fires again (its years are past). */
  next(after: Date): Date | undefined;
}

/** Parses a CloudBase 7-field cron expression; throws CronSyntaxError saying which field is wrong and why. */
export function parseCloudBaseCron(expression: string): CloudBaseCron {
  if (typeof expression !== 'string') throw new CronSyntaxError('the cron expression must be a string');
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 7)
    throw new CronSyntaxError(
      `"${expression}" has ${fields.length} fields; CloudBase needs 7: second minute hour day month weekday year`,
    );
  const values = fields.map((field, i) => expandField(field, FIELDS[i]!));
  const years = values[6]!;
  const sixFields = fields.slice(0, 6).join(' ');
  return {
    expression,
    next(after: Date): Date | undefined {
      let from = after;
      // Each pass either finds a time in an allowed year or jumps to the next allowed year: at most 130 passes.
      for (let guard = 0; guard < 200; guard += 1) {
        const year = yearInZone(from);
        const nextYear = [...years].filter((candidate) => candidate >= year).sort((a, b) => a - b)[0];
        if (nextYear === undefined) return undefined;
        if (nextYear > year) from = new Date(startOfYearInZone(nextYear).getTime() - 1000);
        const found = nextOf(sixFields, from);
        if (!found) return undefined;
        if (years.has(yearInZone(found))) return found;
        from = found;
      }
      return undefined;
    },
  };
}

/** Checks one field against CloudBase's grammar and returns the values it allows. */
function expandField(field: string, rule: FieldRule): Set<number> {
  const fail = (why: string) => new CronSyntaxError(`${rule.name} field "${field}": ${why}`);
  if (!/^[0-9A-Za-z*,\-/]+$/.test(field))
    throw fail('only numbers, names and the wildcards , - * / are allowed (CloudBase has no ? L W #)');
  const allowed = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw fail(`"${part}" is not a value or range`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = rule.min;
      to = rule.max;
    } else {
      const [low, high, more] = range.split('-');
      if (more !== undefined || low === undefined || low === '') throw fail(`"${range}" is not a value or range`);
      from = valueOf(low, rule, fail);
      // "1/10" (from 1, every 10) runs to the end of the field, as in the docs' minute example.
      to = high !== undefined ? valueOf(high, rule, fail) : stepText !== undefined ? rule.max : from;
      if (high !== undefined && to < from) throw fail(`range ${range} runs backwards`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) throw fail(`step "${stepText}" must be a whole number`);
      step = Number(stepText);
    }
    for (let value = from; value <= to; value += step) allowed.add(value);
  }
  return allowed;
}

function valueOf(text: string, rule: FieldRule, fail: (why: string) => Error): number {
  if (/^[0-9]+$/.test(text)) {
    const value = Number(text);
    if (value < rule.min || value > rule.max) throw fail(`${value} is outside ${rule.min}-${rule.max}`);
    return value;
  }
  const index = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) throw fail(`"${text}" is not a number${rule.names ? ' or a name' : ''}`);
  return index + (rule.namesFrom ?? 0);
}

function nextOf(sixFields: string, after: Date): Date | undefined {
  let parsed: CronExpression;
  try {
    parsed = CronExpressionParser.parse(sixFields, { currentDate: after, tz: TRIGGER_TIME_ZONE });
  } catch (error) {
    throw new CronSyntaxError(`"${sixFields}": ${(error as Error).message}`);
  }
  if (!parsed.hasNext()) return undefined;
  return parsed.next().toDate();
}

/** The year of an instant on the trigger clock (UTC+8). */
function yearInZone(date: Date): number {
  return new Date(date.getTime() + 8 * 3600_000).getUTCFullYear();
}

/** 00:00:00 on 1 January of `year`, UTC+8. */
function startOfYearInZone(year: number): Date {
  return new Date(Date.UTC(year, 0, 1) - 8 * 3600_000);
}
