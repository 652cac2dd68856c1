// The rule every writable users repository applies to a new password: refuse passwords no client
// could ever log in with.
import { InvalidPasswordError } from './errors.js';

const MAX_PASSWORD_LENGTH = 1024;

/** Throws InvalidPasswordError for an empty password, one with NUL (SASL PLAIN's separator), or an absurdly long one. */
export function checkNewPassword(password: string): void {
  if (password.length === 0) throw new InvalidPasswordError('the password is empty');
  if (password.includes('\u0000')) throw new InvalidPasswordError('the password contains a NUL character, which SASL PLAIN cannot carry');
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidPasswordError(`the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
}
