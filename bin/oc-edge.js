#!/usr/bin/env node
// The published entry point: registers tsx so the TypeScript toolchain runs without a compile step.
import { register } from 'tsx/esm/api';

register();
await import('../scripts/oc-edge.ts');
