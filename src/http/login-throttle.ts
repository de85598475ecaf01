// Login throttling on Postgres (rate-limiter-flexible): holds across processes and restarts.
import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Pool } from '../db/pool.js';

export interface LoginThrottleOptions {
  /** Separates the planes' counters in the shared table. */
  keyPrefix: string;
  attempts: number;
  windowSeconds: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface LoginThrottle {
  /** Counts one attempt for this IP and e-mail; refuses once the window's attempts are used up. */
  consume(ip: string, email: string): Promise<ThrottleVerdict>;
  /** Forgets the attempts after a successful login. */
  reset(ip: string, email: string): Promise<void>;
}

/** IP plus a hash of the lower-cased e-mail: bounded key length, and no e-mail addresses in the limiter table. */
export function throttleKey(ip: string, email: string): string {
  const digest = createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
  return `${ip.slice(0, 64)}|${digest}`;
}

export function createLoginThrottle(pool: Pool, options: LoginThrottleOptions): LoginThrottle {
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: 'login_rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: options.keyPrefix,
    points: options.attempts,
    duration: options.windowSeconds,
  });
  return {
    async consume(ip, email) {
      try {
        await limiter.consume(throttleKey(ip, email), 1);
        return { allowed: true };
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
        }
        throw error;
      }
    },
    async reset(ip, email) {
      await limiter.delete(throttleKey(ip, email));
    },
  };
}
