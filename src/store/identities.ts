// JMAP identities (RFC 8621 §6) as kept in the per-account store setting `Identity`: overrides of
// the built-in identity (the user's own address) plus the added ones, and the change log that
// Identity/changes answers from. Here, beside the store, because two adapters edit them: JMAP's
// Identity/set (src/jmap/methods/identity.ts) and WebAdmin's /users/{u}/identities.
//
// The log: each write stamps what it changed with the state it is written at (the store's modseq,
// which the setting's state is), and keeps a bounded list of destroyed identities.
import type { SettingInput, SettingsStore } from './api/settings.js';

export const SETTING_IDENTITY = 'Identity';
export const DEFAULT_IDENTITY_ID = 'default';

export interface IdentityAddress {
  name: string | null;
  email: string;
}

export interface IdentityRecord {
  id: string;
  name: string;
  email: string;
  replyTo: IdentityAddress[] | null;
  bcc: IdentityAddress[] | null;
  textSignature: string;
  htmlSignature: string;
  /** James' ordering hint (WebAdmin); JMAP does not show it. */
  sortOrder?: number;
}

export interface IdentityLog {
  /** Modseq of each identity's creation and last change; an identity without one is unchanged since state 0. */
  stamps?: Record<string, { created: number; updated: number }>;
  /** Destroyed identities, oldest first, at most MAX_TOMBSTONES. */
  destroyed?: Array<{ id: string; created: number; destroyed: number }>;
  /** Older states cannot be answered: their tombstones were dropped, or they predate the log. */
  floor?: number;
}

export interface StoredIdentities extends IdentityLog {
  identities: IdentityRecord[];
}

/** What one write did, by id. */
export interface IdentityEdits {
  created: Set<string>;
  updated: Set<string>;
  destroyed: Set<string>;
}

/** The identities of an account as read: the list (built-in one included), and what the write needs. */
export interface IdentityList {
  list: IdentityRecord[];
  state: string;
  stored: StoredIdentities;
  /** Whether the setting was ever written (state '0' is a setting never written). */
  written: boolean;
}

/** Tombstones kept; a state older than the oldest dropped one gets cannotCalculateChanges. */
export const MAX_TOMBSTONES = 1000;

export function builtInIdentity(account: string): IdentityRecord {
  return { id: DEFAULT_IDENTITY_ID, name: '', email: account, replyTo: null, bcc: null, textSignature: '', htmlSignature: '' };
}

export async function listIdentities(store: SettingsStore, account: string): Promise<IdentityList> {
  const s = await store.getSetting(account, SETTING_IDENTITY);
  const stored = s.value === null ? { identities: [] } : (s.value as unknown as StoredIdentities);
  const list = [...stored.identities];
  if (!list.some((i) => i.id === DEFAULT_IDENTITY_ID)) list.unshift(builtInIdentity(account));
  return { list, state: s.state, stored, written: s.state !== '0' };
}

/** A setting written before the log existed has no stamps: nothing before it can be answered. */
export function identityFloor(log: IdentityLog, state: string, stored: boolean): number {
  return stored && log.stamps === undefined ? Number(state) : (log.floor ?? 0);
}

/** The log after `edits`, written at modseq `at` (called inside the store's write, see setSetting). */
export function stampEdits(log: IdentityLog, oldState: string, stored: boolean, edits: IdentityEdits, at: number): Required<IdentityLog> {
  const stamps = { ...log.stamps };
  const destroyed = [...(log.destroyed ?? [])];
  let floor = identityFloor(log, oldState, stored);
  for (const id of edits.created) stamps[id] = { created: at, updated: at };
  for (const id of edits.updated) stamps[id] = { created: stamps[id]?.created ?? 0, updated: at };
  for (const id of edits.destroyed) {
    destroyed.push({ id, created: stamps[id]?.created ?? 0, destroyed: at });
    delete stamps[id];
  }
  const dropped = destroyed.splice(0, Math.max(0, destroyed.length - MAX_TOMBSTONES));
  if (dropped.length) floor = Math.max(floor, dropped[dropped.length - 1]!.destroyed);
  return { stamps, destroyed, floor };
}

/**
 * The setting value for `next` after `edits` to what `current` read: a function of the state it is
 * written at, for SettingsStore.setSetting (with `{ ifInState: current.state }`, so a concurrent
 * write is refused with StateMismatchError rather than lost).
 */
export function identitiesValue(current: IdentityList, next: IdentityRecord[], edits: IdentityEdits): SettingInput {
  const value = (state: string): StoredIdentities => ({ identities: next, ...stampEdits(current.stored, current.state, current.written, edits, Number(state)) });
  return value as unknown as SettingInput;
}
