/**
 * Logging: pino, configured from i2pd's keys `log` (stdout | file | syslog), `logfile`, `loglevel`
 * (debug | info | warn | error | critical | none). Structured fields; one child logger per module
 * (`logger.child({ module: 'ntcp2' })`). Never log keys, nor local destinations at info level.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  log?: string; // stdout | file | syslog
  logfile?: string;
  loglevel?: string;
}

const LEVELS: Record<string, LevelWithSilent> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  none: 'silent',
};

export function createLogger(opts: LogOptions = {}): Logger {
  const level = LEVELS[opts.loglevel ?? 'info'] ?? 'info';
  const base = { name: 'clove' };
  const formatters = { level: (label: string) => ({ level: label }) };
  if (opts.log === 'file' && opts.logfile) {
    return pino({ level, base, formatters }, pino.destination({ dest: opts.logfile, mkdir: true, sync: true }));
  }
  // stdout (and syslog, which clove does not speak yet: stdout is what a service manager collects).
  return pino({ level, base, formatters }, pino.destination({ dest: 1, sync: true }));
}

/** A logger that drops everything — for library users who pass none, and for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
