// App passwords: see ./types.ts.
export { AppPasswordService, MAX_APP_PASSWORDS_PER_USER, type AppPasswordManager, type AppPasswordVerdict, type AppPasswordRevokedListener } from './service.js';
export { appPasswordFromJson, appPasswordToJson, type AppPasswordJson } from './json.js';
export { SqliteAppPasswords } from './sqlite-app-passwords.js';
export * from './types.js';
