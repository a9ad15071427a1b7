import { formatBytes } from './contents';
import type { FunctionPackage, MiniprogramPackage } from './pack';
import { formatProblem, type Problem } from './problems';
import { formatBrokenRequire } from './requires';

/** The listing both `npm run package` and `npm run deploy -- --dry-run` print. */
export function describeMiniprogram(pkg: MiniprogramPackage, heading: string): string[] {
  const lines = [heading];
  for (const size of pkg.packages) {
    const share = ((size.bytes / size.limit) * 100).toFixed(1);
    const label = size.name === 'main' ? 'main package' : `subpackage ${size.name}`;
    lines.push(`  ${label}: ${formatBytes(size.bytes)} of ${formatBytes(size.limit)} (${share}%)`);
  }
  if (pkg.packages.length > 1) lines.push(`  all packages: ${formatBytes(pkg.total)}`);
  if (pkg.zip) lines.push(`  zip: ${pkg.zip.path} (${formatBytes(pkg.zip.bytes)})`);
  lines.push(`  ${pkg.files.length} files:`);
  for (const file of pkg.files) {
    const becomes = file.becomes ? ` -> ${file.becomes}` : '';
    const unwanted = file.unwanted ? `   <- should not ship: ${file.unwanted}` : '';
    lines.push(`    ${formatBytes(file.bytes).padStart(9)}  ${file.path}${becomes}${unwanted}`);
  }
  const unwanted = pkg.files.filter((file) => file.unwanted);
  lines.push(
    unwanted.length === 0 ? '  should not ship: none' : `  should not ship: ${unwanted.length} file(s), listed above`,
  );
  if (pkg.requires) {
    const { count, broken } = pkg.requires;
    lines.push(
      broken.length === 0
        ? `  require(): ${count} calls, each to a file in the package`
        : `  require(): ${count} calls, ${broken.length} to a file the package does not have:`,
    );
    for (const item of broken) lines.push(`    ${formatBrokenRequire(item)}`);
  }
  for (const note of pkg.notes) lines.push(`  note: ${note}`);
  return lines;
}

export function describeFunctions(functions: readonly FunctionPackage[], heading: string): string[] {
  const lines = [heading];
  if (functions.length === 0) lines.push('  (no cloud functions)');
  for (const fn of functions) {
    lines.push(`  ${fn.name}: ${formatBytes(fn.bytes)} in ${fn.files.length} files, folder ${fn.dir}/`);
    for (const file of fn.files) lines.push(`    ${formatBytes(file.bytes).padStart(9)}  ${file.path}`);
    if (fn.leftOut.length > 0) {
      lines.push(`    left out: ${fn.leftOut.map((item) => `${item.path} (${item.reason})`).join(', ')}`);
    }
    for (const trigger of fn.triggers) {
      lines.push(
        `    timer trigger ${trigger.name}: "${trigger.config}" (seconds minutes hours day month weekday year)`,
      );
    }
  }
  return lines;
}

/** The placeholders left, as warnings: the same list npm run package and the deploy dry run print. */
export function describePlaceholders(found: readonly Problem[]): string[] {
  if (found.length === 0) return ['placeholders: none left'];
  return [
    `placeholders: ${found.length} left; a real npm run deploy refuses to upload until each is replaced:`,
    ...found.map((problem) => `  warning: ${formatProblem(problem)}`),
  ];
}
