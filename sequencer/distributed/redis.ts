/**
 * Distributed mode's Redis connection: loopback only (like the L1 node), with the options
 * BullMQ needs (no per-command retry limit, so workers ride out a Redis restart).
 */
import { Redis } from "ioredis";

/** The connection options both ioredis and BullMQ take. */
export interface RedisConnOptions {
  host: string;
  port: number;
  db: number;
  maxRetriesPerRequest: null;
  enableReadyCheck: boolean;
  retryStrategy: (times: number) => number;
}

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]", "::1"];

/** True for a redis:// URL on a loopback host. */
export function isLoopbackRedisUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return url.protocol === "redis:" && LOOPBACK.includes(url.hostname) && url.port !== "";
  } catch {
    return false;
  }
}

/** ioredis options for a loopback redis:// URL (throws on any other). */
export function redisOptions(redisUrl: string): RedisConnOptions {
  if (!isLoopbackRedisUrl(redisUrl)) throw new Error(`redisUrl: ${redisUrl} is not a redis:// URL on a loopback host with a port`);
  const url = new URL(redisUrl);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port),
    db: Number.isInteger(db) ? db : 0,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    // Reconnect quickly after a Redis restart (capped at 1 s).
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  };
}

export function connectRedis(redisUrl: string): Redis {
  return new Redis(redisOptions(redisUrl));
}
