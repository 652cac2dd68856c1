// Objects kept as per-account settings in the store: a JSON value and a state string per key.
// The key names double as JMAP type names (the store publishes 'Setting:<key>' state changes,
// which push turns back into these names).
import type { MailStore, JsonValue, SettingInput } from '../../store/types.js';
import { isStoreError } from '../../store/errors.js';
import { MethodError } from '../errors.js';

export { SETTING_IDENTITY } from '../../store/identities.js';
export const SETTING_VACATION = 'VacationResponse';
export const SETTING_SUBMISSION = 'EmailSubmission';

export async function readSetting<T>(store: MailStore, account: string, key: string, fallback: T): Promise<{ value: T; state: string }> {
  const s = await store.getSetting(account, key);
  return { value: s.value === null ? fallback : (s.value as unknown as T), state: s.state };
}

/** Writes a setting only if it still has `state`, so concurrent /set calls cannot lose updates. */
export async function writeSetting(store: MailStore, account: string, key: string, value: unknown, state: string): Promise<string> {
  try {
    // A function value is computed from the new state inside the write (SettingsStore.setSetting).
    return await store.setSetting(account, key, value as SettingInput, { ifInState: state });
  } catch (err) {
    if (isStoreError(err) && err.code === 'stateMismatch') throw new MethodError('stateMismatch', 'changed concurrently; retry');
    throw err;
  }
}
