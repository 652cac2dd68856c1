// JMAP states and /changes: one modseq counter per account, from which every state string is derived.

/** JMAP data types with a state string. */
export type StateType = 'Mailbox' | 'Email' | 'Thread' | 'EmailDelivery' | 'Quota';

export interface AccountStates {
  Mailbox: string;
  Email: string;
  Thread: string;
  EmailDelivery: string;
  Quota: string;
}

export interface ChangesResult {
  oldState: string;
  newState: string;
  hasMoreChanges: boolean;
  created: string[];
  updated: string[];
  destroyed: string[];
  /**
   * Mailbox/changes only: when every update is a change of counts, the JMAP `updatedProperties`
   * list (totalEmails, unreadEmails, totalThreads, unreadThreads); otherwise null.
   */
  updatedProperties: string[] | null;
}

export interface StateStore {
  getStates(account: string): Promise<AccountStates>;
  /** Throws CannotCalculateChangesError for an unknown or too-old state. maxChanges >= 1. */
  changes(account: string, type: 'Mailbox' | 'Email' | 'Thread', sinceState: string, maxChanges?: number): Promise<ChangesResult>;
}
