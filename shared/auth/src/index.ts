export { createKeyStore, hashKey, type KeyStore, type KeyStoreOptions, type ApiKeyInfo, type CreateKeyInput } from './key-store.ts';
export { default as authPlugin, type AuthPluginOptions, type Principal, type ApiKeyCache } from './auth-plugin.ts';
export { SCOPES, isScope, hasScope, type Scope } from './scopes.ts';
export { AuthError } from './auth-error.ts';
