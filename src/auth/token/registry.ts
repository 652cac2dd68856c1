// One validator per distinct `oidc` block: listeners sharing a configuration share keys and caches,
// listeners with different providers or audiences do not.
import type { OidcConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import type { UsersRepository } from '../users/types.js';
import { OidcTokenValidator, type ValidatorSettings } from './validator.js';

export class ValidatorRegistry {
  private readonly byIdentity = new WeakMap<OidcConfig, OidcTokenValidator>();
  private readonly byContent = new Map<string, OidcTokenValidator>();

  constructor(
    private readonly users: UsersRepository,
    private readonly logger: Logger,
    private readonly settings: Partial<ValidatorSettings>,
  ) {}

  get(config: OidcConfig): OidcTokenValidator {
    const known = this.byIdentity.get(config);
    if (known) return known;
    const key = canonicalJson(config);
    let validator = this.byContent.get(key);
    if (!validator) {
      validator = new OidcTokenValidator(config, this.users, this.logger, this.settings);
      this.byContent.set(key, validator);
    }
    this.byIdentity.set(config, validator);
    return validator;
  }

  close(): void {
    for (const v of this.byContent.values()) v.close();
    this.byContent.clear();
  }
}

/** JSON with object keys sorted at every depth, so equal configurations give equal keys. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
