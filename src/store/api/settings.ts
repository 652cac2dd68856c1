// Per-account settings with a state each (JMAP Identity, VacationResponse…).
import type { JsonValue, WriteOptions } from './values.js';

export interface SettingValue {
  value: JsonValue | null;
  /** Changes whenever the value changes (JMAP Identity/VacationResponse state). */
  state: string;
}

export type SettingInput = JsonValue | null | ((newState: string) => JsonValue | null);

export interface SettingsStore {
  getSetting(account: string, key: string): Promise<SettingValue>;
  /**
   * Throws StateMismatchError when ifInState is given and differs. Returns the new state. A function
   * value is called with the new state inside the write, so a value may stamp its parts with the
   * state they changed at (a change log of the objects in it, for JMAP /changes).
   */
  setSetting(account: string, key: string, value: SettingInput, options?: WriteOptions & { ifInState?: string }): Promise<string>;
}
