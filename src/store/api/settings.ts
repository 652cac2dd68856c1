// Per-account settings with a state each (JMAP Identity, VacationResponse…).
import type { JsonValue, WriteOptions } from './values.js';

export interface SettingValue {
  value: JsonValue | null;
  /** Changes whenever the value changes (JMAP Identity/VacationResponse state). */
  state: string;
}

export interface SettingsStore {
  getSetting(account: string, key: string): Promise<SettingValue>;
  /** Throws StateMismatchError when ifInState is given and differs. Returns the new state. */
  setSetting(account: string, key: string, value: JsonValue | null, options?: WriteOptions & { ifInState?: string }): Promise<string>;
}
