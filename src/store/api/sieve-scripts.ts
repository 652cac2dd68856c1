// Sieve scripts (RFC 5228) per account, shared by ManageSieve (RFC 5804), JMAP for Sieve (RFC 9661)
// and local delivery, which runs the active one. Scripts are addressed by name (ManageSieve) or by
// a stable id (JMAP); their content lives in the blob store, so a script's blobId can be downloaded
// and an uploaded blob can become a script. At most one script of an account is active.
import type { ChangesResult } from './changes.js';
import type { WriteOptions } from './values.js';

export interface SieveScriptInfo {
  /** Stable, never reused (JMAP SieveScript id). */
  id: string;
  /** Unique per account, compared octet by octet (RFC 5804 §1.6). */
  name: string;
  /** The content's blob (JMAP `blobId`); readable through the account's blob reads. */
  blobId: string;
  /** Content size in octets. */
  size: number;
  isActive: boolean;
}

export interface SieveScript extends SieveScriptInfo {
  /** The script text (UTF-8). */
  content: string;
}

/** Limits a write is checked against inside its transaction (0 = unlimited). */
export interface SieveScriptLimits {
  /** Most scripts an account may hold. */
  maxScripts: number;
  /** Largest script, in octets. */
  maxSize: number;
}

export interface SieveWriteOptions extends WriteOptions {
  /** Refuse with StateMismatchError unless the account's SieveScript state is this. */
  ifInState?: string;
  limits?: SieveScriptLimits;
}

/** SieveScript/changes: the ids changed since a state (ChangesResult without updatedProperties). */
export type SieveScriptChanges = Omit<ChangesResult, 'updatedProperties'>;

export interface SieveScriptStore {
  /** The account's scripts ordered by name (empty for an unknown account). */
  listSieveScripts(account: string): Promise<SieveScriptInfo[]>;
  getSieveScript(account: string, name: string): Promise<SieveScript | null>;
  getSieveScriptById(account: string, id: string): Promise<SieveScript | null>;
  /** The script delivery runs, or null when none is active (or the account is unknown). */
  getActiveSieveScript(account: string): Promise<SieveScript | null>;
  /**
   * Creates the script `name`, or replaces its content when it exists (it stays active if it was).
   * Throws OverQuotaError ('sieveScripts' / 'sieveScriptSize') when options.limits are exceeded.
   */
  putSieveScript(account: string, name: string, content: string, options?: SieveWriteOptions): Promise<SieveScriptInfo>;
  /** Throws NoSuchSieveScriptError, or SieveScriptExistsError when newName is taken. */
  renameSieveScript(account: string, oldName: string, newName: string, options?: SieveWriteOptions): Promise<SieveScriptInfo>;
  /** Throws NoSuchSieveScriptError, or SieveScriptActiveError for the active script. */
  deleteSieveScript(account: string, name: string, options?: SieveWriteOptions): Promise<void>;
  /** Makes `name` the only active script; null deactivates all. Throws NoSuchSieveScriptError. */
  setActiveSieveScript(account: string, name: string | null, options?: SieveWriteOptions): Promise<void>;
  /** The JMAP SieveScript state string: changes with every write above. */
  sieveScriptState(account: string): Promise<string>;
  /** Throws CannotCalculateChangesError for an unknown or too-old state. maxChanges >= 1. */
  sieveScriptChanges(account: string, sinceState: string, maxChanges?: number): Promise<SieveScriptChanges>;
}
