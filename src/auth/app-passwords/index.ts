// App passwords: see ./types.ts.
export { AppPasswordService, MAX_APP_PASSWORDS_PER_USER, type AppPasswordVerdict, type AppPasswordRevokedListener } from './service.js';
export { SqliteAppPasswords } from './sqlite-app-passwords.js';
export * from './types.js';
