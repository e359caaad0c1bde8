// A plain in-process oidc-provider for suites; the code lives in scripts/lib so the bench can
// drive real logins too (scripts/ must not import tests/).
export { relyingPartyEnv, startOidcTestProvider, type OidcTestProvider, type OidcTestProviderOptions, type ProviderFaults, type TestClient } from '../../scripts/lib/oidc-provider.ts';
