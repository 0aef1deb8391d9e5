/**
 * Run the clove CLI from the sources (through tsx, as the tests run), so a test never runs a stale build.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'router', 'cli.ts');

/** [command, ...args] that runs `clove <args>` with node + tsx. */
export function cloveCommand(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', '--enable-source-maps', CLI, ...args]];
}
