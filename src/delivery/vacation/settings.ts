// The user's VacationResponse (RFC 8621 §8) as the delivery core reads it. JMAP's
// VacationResponse/set writes it as the per-account store setting `VacationResponse`
// (src/jmap/methods/vacation.ts); the key and shape are repeated here because a core never imports
// a protocol front-end, and test/delivery/vacation.test.ts checks that both sides agree.
import type { JsonValue, SettingsStore } from '../../store/types.js';

export const VACATION_SETTING_KEY = 'VacationResponse';

export interface VacationSettings {
  isEnabled: boolean;
  /** UTCDate; replies go to mail arriving on or after it. null: effective at once. */
  fromDate: string | null;
  /** UTCDate; replies go to mail arriving before it. null: effective indefinitely. */
  toDate: string | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

function str(v: JsonValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/** Narrows a stored value; anything unexpected reads as "off" rather than failing a delivery. */
export function toVacationSettings(value: JsonValue | null): VacationSettings {
  const o = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  return {
    isEnabled: o.isEnabled === true,
    fromDate: str(o.fromDate),
    toDate: str(o.toDate),
    subject: str(o.subject),
    textBody: str(o.textBody),
    htmlBody: str(o.htmlBody),
  };
}

export async function readVacation(store: SettingsStore, account: string): Promise<VacationSettings> {
  return toVacationSettings((await store.getSetting(account, VACATION_SETTING_KEY)).value);
}

/**
 * Whether a message arriving at `at` gets a reply: enabled, fromDate <= at < toDate (RFC 8621 §8).
 * A date that does not parse makes the response inactive: answering outside the period the user
 * meant is worse than not answering.
 */
export function isVacationActive(v: VacationSettings, at: Date): boolean {
  if (!v.isEnabled) return false;
  const t = at.getTime();
  if (v.fromDate !== null) {
    const from = Date.parse(v.fromDate);
    if (Number.isNaN(from) || t < from) return false;
  }
  if (v.toDate !== null) {
    const to = Date.parse(v.toDate);
    if (Number.isNaN(to) || t >= to) return false;
  }
  return true;
}

/**
 * Identifies one vacation period: a user who sets new dates starts a new period, and everyone
 * gets answered again.
 */
export function vacationPeriod(v: VacationSettings): string {
  return `${v.fromDate ?? ''}|${v.toDate ?? ''}`;
}
