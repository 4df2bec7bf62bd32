/**
 * The fault hook of the replication transport (tests): drops, duplicates, delays and reorders
 * messages with a seeded PRNG, so a failing seed replays exactly. Partitions are cuts of whole
 * connections (`Replicator.partition` / `heal`).
 *
 * @module
 */

/** What the hook does to each message a node sends. Probabilities are in [0, 1]. */
export interface FaultOptions {
  /** PRNG seed (default 1). */
  seed?: number
  /** Probability that a message is dropped. */
  drop?: number
  /** Probability that a message is sent twice. */
  duplicate?: number
  /** Probability that a message is delayed by up to `maxDelayMs` (so later ones overtake it). */
  delay?: number
  /** Upper bound of a delay (default 20 ms). */
  maxDelayMs?: number
}

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Applies {@link FaultOptions} to message deliveries. Without options, delivers at once. */
export class Faults {
  private readonly rnd: () => number
  opts: FaultOptions
  private delayed = 0
  private idleWaiters: (() => void)[] = []
  constructor(opts: FaultOptions = {}) {
    this.opts = opts
    this.rnd = prng(opts.seed ?? 1)
  }

  /** True when some fault is configured. */
  get active(): boolean {
    const o = this.opts
    return (o.drop ?? 0) > 0 || (o.duplicate ?? 0) > 0 || (o.delay ?? 0) > 0
  }

  /** Changes the faults from now on (e.g. stop dropping before checking convergence). */
  set(opts: FaultOptions): void {
    this.opts = { ...this.opts, ...opts }
  }

  /** Resolves when no delayed message is waiting to be sent. */
  settled(): Promise<void> {
    if (this.delayed === 0) return Promise.resolve()
    return new Promise((r) => this.idleWaiters.push(r))
  }

  /** Runs `send` zero, one or two times, now or later, as the faults say. */
  deliver(send: () => void): void {
    if (!this.active) {
      send()
      return
    }
    const o = this.opts
    if (this.rnd() < (o.drop ?? 0)) return
    const times = this.rnd() < (o.duplicate ?? 0) ? 2 : 1
    for (let i = 0; i < times; i++) {
      if (this.rnd() < (o.delay ?? 0)) {
        this.delayed++
        setTimeout(() => {
          try {
            send()
          } finally {
            if (--this.delayed === 0) for (const w of this.idleWaiters.splice(0)) w()
          }
        }, Math.floor(this.rnd() * (o.maxDelayMs ?? 20)))
      } else {
        send()
      }
    }
  }
}
