// tests/filter/properties.test.ts on real Envoy: the same suite, its runtime set to envoy (the release
// module in the WasmPlugin's filter, jwt_authn before it, an echo upstream; see
// scripts/lib/simulate/runtime-envoy.ts). The setting is made before the suite is loaded, because
// tests/support/runtime.ts reads it once.
process.env.OC_RUNTIME = 'envoy';
await import('../filter/properties.test.ts');
