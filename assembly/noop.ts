// The benchmark baseline: a filter on the same ABI layer as org-context that does nothing, so the
// bench's difference between the two is the filter's own work.
import { registerRootContext, RootContext } from './abi/context';

export * from './abi/exports';

registerRootContext((id: u32): RootContext => new RootContext(id));
