/**
 * The one error type that parsers of network, file and client input throw.
 *
 * `code` is a stable machine-readable reason (e.g. 'TRUNCATED', 'BAD_SIGNATURE'), `path` says where in the
 * structure the problem sits (e.g. 'RouterInfo/addresses[1]/options'), `offset` is the byte offset in the
 * input where it was noticed (-1 when not applicable). Programmer misuse at API boundaries throws
 * TypeError/RangeError instead.
 */
export class ParseError extends Error {
  readonly code: string;
  readonly path: string;
  readonly offset: number;

  constructor(code: string, path: string, offset: number, message?: string) {
    super(`${path}: ${message ?? code}${offset >= 0 ? ` (at byte ${offset})` : ''}`);
    this.name = 'ParseError';
    this.code = code;
    this.path = path;
    this.offset = offset;
  }
}

export function isParseError(e: unknown): e is ParseError {
  return e instanceof ParseError;
}
