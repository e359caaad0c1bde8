// The org-context plugin's settings (docs ORG-CONTEXT.md, "Configuration"): the one list that the
// WasmPlugin's vmConfig.env, the waypoint's environment, envoy/'s Wasm filter and the local harness
// are checked against, so a setting added to the filter cannot be forgotten by one of them.

export interface PluginSetting {
  /** Environment variable the filter reads at on_configure. */
  env: string;
  /** The pluginConfig key that overrides it; secrets have none (env only). */
  pluginConfigKey?: string;
  /**
   * A secret: delivered only through the environment, `valueFrom: HOST` in a WasmPlugin (copied
   * from the proxy's own environment, which a Kubernetes Secret fills), never inline.
   */
  secret: boolean;
  /** on_configure fails without it. */
  required: boolean;
  /** The filter's default, as documented; undefined when unset means "off" or when required. */
  defaultValue?: string;
}

export const PLUGIN_SETTINGS: readonly PluginSetting[] = [
  { env: 'ORG_COOKIE_SECRETS', secret: true, required: true },
  { env: 'ORG_COOKIE_NAME', pluginConfigKey: 'cookieName', secret: false, required: false, defaultValue: 'previouslySelectedOrganisation' },
  { env: 'BOOTSTRAPPED_ORGANISATIONS', pluginConfigKey: 'bootstrappedOrganisations', secret: false, required: false, defaultValue: '' },
  { env: 'SUPPORTED_FEATURES', pluginConfigKey: 'supportedFeatures', secret: false, required: false, defaultValue: '' },
  { env: 'ORGANISATION_FEATURES', pluginConfigKey: 'organisationFeatures', secret: false, required: false, defaultValue: '{}' },
  { env: 'ORG_MEMBERSHIP_CLAIM', pluginConfigKey: 'membershipClaim', secret: false, required: false },
  { env: 'JWT_CLAIMS_SOURCE', pluginConfigKey: 'jwtClaimsSource', secret: false, required: false, defaultValue: 'metadata' },
  { env: 'ORG_HEADER', pluginConfigKey: 'orgHeader', secret: false, required: false, defaultValue: 'x-currently-selected-organisation' },
  { env: 'FEATURES_HEADER', pluginConfigKey: 'featuresHeader', secret: false, required: false, defaultValue: 'x-supported-features' },
  { env: 'ORG_COOKIE_CACHE_SIZE', pluginConfigKey: 'cookieCacheSize', secret: false, required: false, defaultValue: '1024' },
];

/** Names of the settings delivered from the host environment (secrets). */
export const HOST_ENV_SETTINGS: readonly string[] = PLUGIN_SETTINGS.filter((s) => s.secret).map((s) => s.env);

/** A setting's documented default; throws for a setting that is not listed or has none. */
export function pluginSettingDefault(env: string): string {
  const value = PLUGIN_SETTINGS.find((s) => s.env === env)?.defaultValue;
  if (value === undefined) throw new Error(`plugin setting ${env} has no default`);
  return value;
}

/** The signed cookie the filter reads, and the two headers it sets, unless configured otherwise. */
export const ORG_COOKIE_NAME_DEFAULT = pluginSettingDefault('ORG_COOKIE_NAME');
export const ORG_HEADER_DEFAULT = pluginSettingDefault('ORG_HEADER');
export const FEATURES_HEADER_DEFAULT = pluginSettingDefault('FEATURES_HEADER');
