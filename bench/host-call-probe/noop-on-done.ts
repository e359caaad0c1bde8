// The no-op module with an empty proxy_on_done, which the ABI layer no longer exports: the bench's
// `noop-on-done` case minus `noop` is what one more per-stream callback (C++ → Wasm) costs in Envoy.
import { registerRootContext, RootContext } from '../../assembly/abi/context';

export * from '../../assembly/abi/exports';

export function proxy_on_done(id: u32): bool {
  return true;
}

registerRootContext((id: u32): RootContext => new RootContext(id));
