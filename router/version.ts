/** clove's own version (package.json), reported by --version and the console. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function readVersion(): string {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(p) as { name?: string; version?: string };
      if (pkg.name === 'clove' && pkg.version) return pkg.version;
    } catch {
      // try the next location (sources vs dist/)
    }
  }
  return '0.0.0';
}

export const CLOVE_VERSION = readVersion();
