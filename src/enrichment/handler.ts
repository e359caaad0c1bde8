// The AWS Lambda entry point (`handler.handler` / `enrichment.handler` in the bundle).
// Settings are read and validated here, at cold start: a misconfigured function fails its init
// with a message naming the variable rather than enriching wrongly.
import { settingsFromEnv } from './config.ts';
import { createHandler } from './enrich.ts';

export const handler = createHandler(settingsFromEnv(process.env));
