// The shape of a group of imports, and how its functions reach their VM's state.
import type { VmState } from '../vm-state.ts';

/** Host functions by name, called by the module with i32 (number) or i64 (BigInt) arguments. */
export type HostFunctions = Record<string, (...args: number[]) => unknown>;

/**
 * The VM's state, reached late: imports are bound before the instance exists, and the state needs
 * the instance (its memory and allocator).
 */
export type VmStateRef = () => VmState;
