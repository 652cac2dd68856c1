// Loads the oidc-provider package on first use. Version 9 prints "Unsupported runtime" with
// console.warn when it is imported on Node 20, which Tessera supports deliberately (the provider is
// only the development IdP and the tests' real OpenID provider, and it works there). That line would
// land in the middle of the JSON log on stderr, so it is dropped during the import — and only it.
type OidcProviderModule = typeof import('oidc-provider');

let loaded: Promise<OidcProviderModule> | undefined;

export function loadOidcProvider(): Promise<OidcProviderModule> {
  loaded ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return loaded;
}
