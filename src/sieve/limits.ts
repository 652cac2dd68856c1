// What one execution may do. Exceeding any limit is a runtime error: the script's actions are dropped
// and the message is kept in INBOX. The step budget counts every command and test evaluated plus the
// work of matching (long values, wildcards and regexes cost more than one step), so the CPU a hostile
// script can take per delivery is bounded whatever it does.

export interface SieveLimits {
  /** Commands and tests evaluated, plus matching work. */
  maxSteps: number;
  /** Actions (keep, fileinto, redirect, vacation, reject…) in the result. */
  maxActions: number;
  /** redirect actions in one execution (the per-user rate is delivery's business). */
  maxRedirects: number;
  /** Nested include depth and included scripts in all. */
  maxIncludeDepth: number;
  maxIncludes: number;
  /** Characters in one variable's value; longer values are cut (RFC 5229 §3 allows truncation). */
  maxVariableLength: number;
  /** Distinct variables. */
  maxVariables: number;
  /** Header fields added by addheader. */
  maxAddedHeaders: number;
}

export const DEFAULT_LIMITS: SieveLimits = {
  maxSteps: 100_000,
  maxActions: 32,
  maxRedirects: 4,
  maxIncludeDepth: 4,
  maxIncludes: 16,
  maxVariableLength: 16 * 1024,
  maxVariables: 256,
  maxAddedHeaders: 32,
};
