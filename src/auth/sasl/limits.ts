// Size limits for SASL payloads, checked before decoding so a hostile client cannot make us buffer
// or parse megabytes. Bearer tokens may be up to 16 KiB; the rest of an OAuth payload is small.

/** Largest decoded SASL client message. */
export const MAX_SASL_PAYLOAD_BYTES = 20 * 1024;
/** Base64 length of MAX_SASL_PAYLOAD_BYTES. */
export const MAX_SASL_BASE64_CHARS = Math.ceil(MAX_SASL_PAYLOAD_BYTES / 3) * 4;
/** Longest password accepted (bytes). */
export const MAX_PASSWORD_BYTES = 1024;
