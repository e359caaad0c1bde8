// A real redis-server for suites that need one; the code lives in scripts/lib so the bench can use
// it too (scripts/ must not import tests/).
export { startRedisServer, type RedisServer, type StartRedisOptions } from '../../scripts/lib/redis-server.ts';
