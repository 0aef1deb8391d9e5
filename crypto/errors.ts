/**
 * Errors from cryptographic operations on untrusted input (bad AEAD tag, bad signature, low-order point).
 * Network code catches these as a failed handshake/message, never a crash.
 */
export class CryptoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CryptoError';
    this.code = code;
  }
}
