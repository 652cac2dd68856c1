// James' recipient rewrite table (RRT): what an address or domain is rewritten to at routing.
//   alias        alias address → the user who receives it (James /address/aliases)
//   forward      user address → a destination, local or remote; the user's own address among the
//                destinations keeps a local copy, as in James (/address/forwards)
//   domainAlias  alias domain → served domain, same local part (James /domains/{d}/aliases)
export type RewriteKind = 'alias' | 'forward' | 'domainAlias';

export interface RewriteMapping {
  source: string;
  target: string;
}

export interface RecipientRewriteTable {
  /** Adds a mapping (idempotent). Sources and targets are canonical: the caller validated them. */
  add(kind: RewriteKind, source: string, target: string): Promise<void>;
  /** Removes a mapping (idempotent). */
  remove(kind: RewriteKind, source: string, target: string): Promise<void>;
  /** What a source is rewritten to, in insertion order. */
  targetsOf(kind: RewriteKind, source: string): Promise<string[]>;
  /** The sources rewritten to a target (the aliases of a user or domain). */
  sourcesOf(kind: RewriteKind, target: string): Promise<string[]>;
  /** Every mapping of one kind, sorted by source then target. */
  list(kind: RewriteKind): Promise<RewriteMapping[]>;
}
