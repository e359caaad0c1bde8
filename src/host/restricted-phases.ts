// The phases in which Envoy allows a module only a few host calls; any other call fails the VM.

// During _initialize/_start Envoy lets a module log, read its environment, args, clocks and random only.
export const START_ALLOWED: ReadonlySet<string> = new Set(['proxy_log', 'fd_write', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'fd_prestat_get', 'fd_prestat_dir_name', 'clock_time_get', 'random_get']);
export const START_PHASE = 'while the module starts';

// While the guest allocator runs for the host, only these are allowed.
export const ALLOC_ALLOWED: ReadonlySet<string> = new Set(['proxy_log', 'fd_write', 'clock_time_get', 'poll_oneoff']);
export const ALLOC_PHASE = 'while the module allocates memory for the host';

/** Thrown inside a host function the current phase does not allow; it unwinds and fails the VM. */
export class RestrictedCallError extends Error {}
