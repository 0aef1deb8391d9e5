/**
 * The one error type for bad configuration: i2pd.conf, tunnels.conf and the command line.
 *
 * STYLE.md: "Config and CLI errors name the key, the file and what was expected; the process exits non-zero
 * before binding anything." The message carries all three; the fields let callers format their own.
 */

/** `source` for errors in command-line arguments. */
export const COMMAND_LINE = 'command line';

export interface ConfigErrorInfo {
  /** The option key (`ntcp2.port`), the tunnel section (`[IRC]`) + key, or undefined for whole-file problems. */
  readonly key?: string;
  /** The file path, or 'command line'. */
  readonly source: string;
  /** 1-based line number in `source`, when the problem sits on one line. */
  readonly line?: number;
  /** What was expected, in words (e.g. 'an integer 0..65535'). */
  readonly expected?: string;
}

export class ConfigError extends Error {
  readonly key: string | undefined;
  readonly source: string;
  readonly line: number | undefined;
  readonly expected: string | undefined;

  constructor(info: ConfigErrorInfo, message: string) {
    const where = info.line !== undefined ? `${info.source}, line ${info.line}` : info.source;
    super(`${where}: ${info.key !== undefined ? `${info.key}: ` : ''}${message}`);
    this.name = 'ConfigError';
    this.key = info.key;
    this.source = info.source;
    this.line = info.line;
    this.expected = info.expected;
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}
