/**
 * Plays a morning at the breakfast shop against a running devcloud and prints what each user sees:
 *
 *   cd devcloud/examples/breakfast && npx devcloud --memory --import seed      (serves on 127.0.0.1:8787)
 *   npx tsx devcloud/examples/breakfast/play.ts http://127.0.0.1:8787           (from the repository root)
 */
import { breakfastMorning } from './client';

breakfastMorning(process.argv[2] ?? 'http://127.0.0.1:8787', (line) => console.log(line)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
