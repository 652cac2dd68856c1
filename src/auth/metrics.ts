// The auth core's Prometheus metrics, declared once on the process-wide registry (src/core/metrics).
import { metrics } from '../core/metrics.js';

export const loginsTotal = metrics.counter(
  'tessera_logins_total',
  'Login attempts by protocol, SASL mechanism and outcome (success, or the failure code: invalid, throttled, temporary…).',
  ['protocol', 'mechanism', 'outcome'],
);

export const throttleEventsTotal = metrics.counter(
  'tessera_auth_throttle_events_total',
  'Login throttle actions: delay (answer slowed) or block (address or user refused for a while), by scope.',
  ['action', 'scope', 'protocol'],
);

export const tokenValidationsTotal = metrics.counter(
  'tessera_token_validations_total',
  'Bearer token validations: result "cache_hit" (answered from the result cache), "valid", or the refusal code.',
  ['result'],
);

export const providerRequestsSeconds = metrics.histogram(
  'tessera_oidc_provider_request_duration_seconds',
  'Requests to the OpenID provider by kind (discovery, jwks, introspection, userinfo) and outcome (ok, error).',
  ['kind', 'outcome'],
);
