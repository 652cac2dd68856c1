// The shape of an app password secret: `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx` in lower-case base32 (no 0/1/8/9,
// nothing a user can confuse on a phone keyboard). Its first 8 characters are the record id, so a
// login costs one hash check however many app passwords the user has; the other 16 are 80 random
// bits. Dashes and spaces are ignored when checking, so a secret typed in groups still works.
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const APP_PASSWORD_ID_LENGTH = 8;
const SECRET_LENGTH = 24;
const GROUP = 4;

function randomBase32(length: number): string {
  const bytes = randomBytes(length);
  // 256 is a multiple of 32: taking each byte modulo 32 is unbiased.
  return [...bytes].map((b) => ALPHABET[b % 32]).join('');
}

/** A fresh secret, grouped for display, and its id. */
export function generateAppPasswordSecret(): { id: string; secret: string } {
  const raw = randomBase32(SECRET_LENGTH);
  const groups = raw.match(new RegExp(`.{${GROUP}}`, 'g')) ?? [raw];
  return { id: raw.slice(0, APP_PASSWORD_ID_LENGTH), secret: groups.join('-') };
}

/**
 * The id and normalised secret of a password that has the app-password shape, else undefined (an
 * ordinary password, which goes to the users repository).
 */
export function parseAppPasswordSecret(password: string): { id: string; normalized: string } | undefined {
  if (password.length > 64) return undefined;
  const normalized = password.replace(/[\s-]/g, '').toLowerCase();
  if (normalized.length !== SECRET_LENGTH || !/^[a-z2-7]+$/.test(normalized)) return undefined;
  return { id: normalized.slice(0, APP_PASSWORD_ID_LENGTH), normalized };
}
