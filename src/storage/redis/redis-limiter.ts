import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { ClavisError } from '../../core/errors/registry.ts';
import {
  assertCost,
  assertNonce,
  assertNow,
  assertValidCreditPolicy,
  assertValidRateLimits,
  ceilSeconds,
  creditDecision,
  creditPeriod,
  limitDecision,
  type RateLimit,
} from '../../core/limits/limit-policy.ts';
import type { LimitState, LimiterStore, NonceStore } from '../../core/ports/limiter.ts';

/*
 * The Redis adapter of the limiter port: one Lua script per operation, so checking and charging
 * every limit of a key is one atomic step for all nodes. The arithmetic is that of
 * memory-limiter.ts (integers: ms, and amounts scaled by the window in ms); read the comment there.
 *
 * Time comes from the caller (ARGV `now`), not from Redis TIME. That lets tests control time and
 * saves nothing else, but nodes must keep their clocks in sync (NTP): a node whose clock runs ahead
 * refills sooner by that much. Per key, time never runs backwards: the script keeps the latest
 * `now` it saw (field `@now`) and treats an older one as that, so a lagging node cannot undo a
 * window change. Expiry (PEXPIRE, and the nonces' PX) runs on the Redis clock; it only removes
 * state that has refilled completely, so a small offset between the clocks loses nothing.
 *
 * Keys, each under one hash tag per API key so a cluster keeps them in one slot:
 *   <prefix>rl:{<keyId>}           hash: `@now`, and per limit name "<spec> <a> <b> <c>"
 *   <prefix>cr:{<keyId>}           hash: k (refill), p (period start), u (used), r (next refill)
 *   <prefix>nonce:{<keyId>}:<nonce>
 */

const CONSUME_LUA = `
local function num(x) return string.format('%.0f', x) end
local now, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
local n = (#ARGV - 2) / 5
local fields = { '@now' }
for i = 1, n do fields[i + 1] = ARGV[(i - 1) * 5 + 3] end
local stored = redis.call('HMGET', KEYS[1], unpack(fields))
local seen = tonumber(stored[1])
if seen ~= nil and seen > now then now = seen end

local function state_at(alg, spec, L, W, v)
  local sspec, x, y, z
  if v then sspec, x, y, z = string.match(v, '^(%S+) (%S+) (%S+) (%S+)$') end
  if alg == 't' then
    if sspec ~= spec then return { L * W, now, 0 } end
    return { math.min(L * W, tonumber(x) + (now - tonumber(y)) * L), now, 0 }
  end
  local k = math.floor(now / W)
  if sspec ~= spec then return { k, 0, 0 } end
  local sk = tonumber(x)
  if k == sk then return { k, tonumber(y), tonumber(z) } end
  if k == sk + 1 then return { k, tonumber(z), 0 } end
  return { k, 0, 0 }
end

-- Returns remaining, reset ms, retry ms (-1: never) of state s for a request of cost c.
local function measure(alg, L, W, s, c)
  if alg == 't' then
    local level, need, retry = s[1], c * W, 0
    if c > L then retry = -1 elseif level < need then retry = math.ceil((need - level) / L) end
    return math.floor(level / W), math.ceil((L * W - level) / L), retry
  end
  local k, prev, curr = s[1], s[2], s[3]
  local e = now - k * W
  local used = prev * (W - e) + curr * W
  local retry = 0
  if c > L then retry = -1
  elseif used + c * W > L * W then
    if curr + c <= L then retry = math.max(0, W - math.floor((L - c - curr) * W / prev) - e)
    else retry = (k + 1) * W - now + math.max(0, W - math.floor((L - c) * W / curr)) end
  end
  local reset = 0
  if curr > 0 then reset = (k + 2) * W - now elseif prev > 0 then reset = (k + 1) * W - now end
  return math.max(0, math.floor((L * W - used) / W)), reset, retry
end

local limits, states, out = {}, {}, { 1 }
for i = 1, n do
  local b = (i - 1) * 5 + 2
  local l = { name = ARGV[b + 1], spec = ARGV[b + 2], alg = ARGV[b + 3], L = tonumber(ARGV[b + 4]), W = tonumber(ARGV[b + 5]) }
  limits[i] = l
  states[i] = state_at(l.alg, l.spec, l.L, l.W, stored[i + 1])
  local remaining, reset, retry = measure(l.alg, l.L, l.W, states[i], cost)
  if retry ~= 0 then out[1] = 0 end
  out[#out + 1] = remaining; out[#out + 1] = reset; out[#out + 1] = retry
end
if out[1] == 0 or cost == 0 or n == 0 then return out end

local writes, idle = { '@now', num(now) }, 0
out = { 1 }
for i = 1, n do
  local l, s = limits[i], states[i]
  if l.alg == 't' then s[1] = s[1] - cost * l.W else s[3] = s[3] + cost end
  writes[#writes + 1] = l.name
  writes[#writes + 1] = l.spec .. ' ' .. num(s[1]) .. ' ' .. num(s[2]) .. ' ' .. num(s[3])
  local remaining, reset = measure(l.alg, l.L, l.W, s, cost)
  if reset > idle then idle = reset end
  out[#out + 1] = remaining; out[#out + 1] = reset; out[#out + 1] = 0
end
redis.call('HSET', KEYS[1], unpack(writes))
redis.call('PEXPIRE', KEYS[1], idle + 1000)
return out
`;

const CREDITS_LUA = `
local function num(x) return string.format('%.0f', x) end
local cost, quota, kind, period, nextRefill, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local v = redis.call('HMGET', KEYS[1], 'k', 'p', 'u', 'r')
local p, used = tonumber(v[2]), tonumber(v[3])
if v[1] ~= kind or p == nil or p < period then
  p = period; used = 0
else
  nextRefill = v[4]
end
local ok = cost <= quota and used + cost <= quota
if ok and cost > 0 then
  used = used + cost
  redis.call('HSET', KEYS[1], 'k', kind, 'p', num(p), 'u', num(used), 'r', nextRefill)
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
end
return { ok and 1 or 0, used, nextRefill }
`;

/** A Lua script run with EVALSHA, falling back to EVAL (which also caches it) on NOSCRIPT. */
class Script {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await redis.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

const consumeScript = new Script(CONSUME_LUA);
const creditsScript = new Script(CREDITS_LUA);

function numbers(reply: unknown, what: string): number[] {
  if (!Array.isArray(reply) || !reply.every((x): x is number => typeof x === 'number')) {
    throw new Error(`unexpected reply from the ${what} script`);
  }
  return reply;
}

function limitArgs(limits: readonly RateLimit[]): (string | number)[] {
  return limits.flatMap((l) => {
    const alg = l.algorithm === 'token-bucket' ? 't' : 's';
    return [l.name, `${alg}/${l.limit}/${l.windowSeconds}`, alg, l.limit, l.windowSeconds * 1000];
  });
}

/** Options of the Redis limiter and nonce store. */
export interface RedisLimiterOptions {
  redis: Redis;
  /** Prepended to every key (default `clavis:`), so several deployments or test runs can share a server. */
  prefix?: string;
  /** Whether close() ends the connection (true for {@link openRedisLimiter}). */
  ownsConnection?: boolean;
}

/**
 * The Redis {@link LimiterStore}: atomic across nodes through one Lua script per call.
 *
 * @example const limiter = createRedisLimiter({ redis, prefix: 'clavis:' }); await limiter.consume(key.id, limits, 1, clock.now())
 */
export function createRedisLimiter(opts: RedisLimiterOptions): LimiterStore {
  const { redis } = opts;
  const prefix = opts.prefix ?? 'clavis:';
  const rlKey = (keyId: string) => `${prefix}rl:{${keyId}}`;
  const crKey = (keyId: string) => `${prefix}cr:{${keyId}}`;
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('the limiter is closed');
  };

  return {
    async consume(keyId, limits, cost, now) {
      open();
      assertValidRateLimits(limits);
      assertCost(cost);
      assertNow(now);
      if (limits.length === 0) return limitDecision([]);
      const reply = numbers(await consumeScript.run(redis, [rlKey(keyId)], [Math.floor(now), cost, ...limitArgs(limits)]), 'consume');
      if (reply.length !== 1 + 3 * limits.length) throw new Error('unexpected reply from the consume script');
      const states = limits.map((l, i): LimitState => {
        const [remaining = 0, resetMs = 0, retryMs = 0] = reply.slice(1 + 3 * i, 4 + 3 * i);
        return {
          name: l.name,
          algorithm: l.algorithm,
          limit: l.limit,
          windowSeconds: l.windowSeconds,
          remaining,
          reset: ceilSeconds(resetMs),
          retryAfter: retryMs < 0 ? null : ceilSeconds(retryMs),
        };
      });
      return limitDecision(states);
    },

    async consumeCredits(keyId, policy, cost, now) {
      open();
      assertValidCreditPolicy(policy);
      assertCost(cost);
      assertNow(now);
      const t = Math.floor(now);
      const { start, nextRefill } = creditPeriod(policy.refill, t);
      // Kept a minute past the refill, when the balance starts over anyway.
      const ttl = nextRefill === null ? 0 : nextRefill - t + 60_000;
      const reply = await creditsScript.run(redis, [crKey(keyId)], [cost, policy.quota, policy.refill, start, nextRefill ?? '', ttl]);
      if (!Array.isArray(reply) || reply.length !== 3) throw new Error('unexpected reply from the credits script');
      const parts: unknown[] = reply;
      const [ok, used, refill] = parts;
      if (typeof ok !== 'number' || typeof used !== 'number' || typeof refill !== 'string') throw new Error('unexpected reply from the credits script');
      return creditDecision(policy, ok === 1, used, cost, refill === '' ? null : Number(refill), t);
    },

    async peekCredits(keyId, policy, now) {
      open();
      assertValidCreditPolicy(policy);
      assertNow(now);
      const t = Math.floor(now);
      const { start, nextRefill } = creditPeriod(policy.refill, t);
      // A plain read (no script): the balance is read as CREDITS_LUA reads it, nothing is written.
      const [kind, period, used, refill] = await redis.hmget(crKey(keyId), 'k', 'p', 'u', 'r');
      const p = period === null ? Number.NaN : Number(period);
      const current = kind !== policy.refill || Number.isNaN(p) || p < start ? { used: 0, nextRefill } : { used: Number(used ?? 0), nextRefill: refill === null || refill === '' ? null : Number(refill) };
      return creditDecision(policy, current.used + 1 <= policy.quota, current.used, 1, current.nextRefill, t);
    },

    async reset(keyId) {
      open();
      await redis.del(rlKey(keyId), crKey(keyId));
    },

    async close() {
      if (closed) return;
      closed = true;
      if (opts.ownsConnection === true) await redis.quit();
    },
  };
}

/**
 * The Redis {@link NonceStore}: `SET <key> 1 NX PX <ttl>`, so the first node to see a nonce wins
 * and it expires on its own (by the Redis clock; `now` is not used).
 *
 * @example const nonces = createRedisNonceStore({ redis }); await nonces.remember(key.id, nonce, 10_000, clock.now())
 */
export function createRedisNonceStore(opts: Omit<RedisLimiterOptions, 'ownsConnection'>): NonceStore {
  const { redis } = opts;
  const prefix = opts.prefix ?? 'clavis:';
  return {
    async remember(keyId, nonce, ttlMs, now) {
      assertNonce(nonce, ttlMs);
      assertNow(now);
      const set = await redis.set(`${prefix}nonce:{${keyId}}:${nonce}`, '1', 'PX', ttlMs, 'NX');
      return set === 'OK';
    },
  };
}

/** The URL without its password, for messages. */
export function redactRedisUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Connects to Redis (`redis://` or `rediss://` URL) and waits for the connection. After a drop it
 * reconnects in the background, and calls made meanwhile reject at once. Throws STORE_UNAVAILABLE
 * when it cannot connect.
 *
 * @example const redis = await connectRedis(config.redisUrl)
 */
export async function connectRedis(url: string, opts: { connectTimeoutMs?: number; onError?: (err: Error) => void } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs ?? 3000,
    // While disconnected, calls fail at once (the caller fails closed) instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Without a listener ioredis prints every connection error; failed calls reject anyway.
  redis.on('error', opts.onError ?? (() => undefined));
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new ClavisError('STORE_UNAVAILABLE', `cannot reach Redis at ${redactRedisUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Connects and returns a limiter that owns the connection (close() ends it) and a nonce store on
 * the same connection.
 *
 * @example const { limiter, nonces } = await openRedisLimiter({ url: config.redisUrl })
 */
export async function openRedisLimiter(opts: { url: string; prefix?: string; connectTimeoutMs?: number }): Promise<{ limiter: LimiterStore; nonces: NonceStore }> {
  const redis = await connectRedis(opts.url, opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs });
  const prefix = opts.prefix ?? 'clavis:';
  return { limiter: createRedisLimiter({ redis, prefix, ownsConnection: true }), nonces: createRedisNonceStore({ redis, prefix }) };
}
