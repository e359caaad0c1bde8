// The org-context Proxy-Wasm filter (ORG-CONTEXT.md): entry module of dist/org-context.wasm.
import { registerRootContext, RootContext } from './abi/context';
import { OrgContextRoot } from './filter/plugin';

export * from './abi/exports';

registerRootContext((id: u32): RootContext => new OrgContextRoot(id));
