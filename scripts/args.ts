import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ShipError } from './ship/problems';

/** A command line the script cannot run: exit code 2, with one line naming the flag. */
export class UsageError extends ShipError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = {
  [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean;
};

/**
 * Strict flags for the kit's scripts (node:util parseArgs): an unknown flag, a flag without its value (`--out` at
 * the end, or followed by another flag), an empty value, a value given to a switch, or a stray argument is a
 * UsageError naming the flag and the usage, instead of being ignored or silently replaced by a default.
 * `usage` is the flags part of the usage line, e.g. "[--out DIR] [--rotate]".
 */
export function parseFlags<O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
  usage: string,
): Values<O> {
  const fail = (what: string): never => {
    throw new UsageError(`${command}: ${what} (usage: ${command}${usage ? ` -- ${usage}` : ''})`);
  };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    const named = /'(-[^' ]+|[^']+)(?: <value>)?'/.exec(message)?.[1] ?? '?';
    const flag = named.startsWith('-') ? named : `--${named}`;
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        return fail(`unknown option ${flag.split('=')[0]!}`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        return fail(`unexpected argument '${named}'`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        const name = flag.replace(/^-+/, '');
        return options[name]?.type === 'boolean' ? fail(`${flag} takes no value`) : fail(`${flag} needs a value`);
      }
      default:
        return fail(message.split('\n')[0]!);
    }
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === '') fail(`--${name} needs a value`);
  }
  return values as Values<O>;
}

/** For a script that takes no flags: anything on its command line is a mistake, said at once (exit code 2). */
export function refuseFlags(command: string, args: readonly string[] = process.argv.slice(2)): void {
  try {
    parseFlags(command, args, {}, '');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    process.exit(error.exitCode);
  }
}
