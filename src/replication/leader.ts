/**
 * The leader tab: of all the tabs of a node that called `join`, one runs replication (DESIGN.md
 * decision 5). Elected with the Web Locks API; where it is missing (Node), an in-process lock
 * with the same semantics stands in.
 *
 * Lease (decision 7): a frozen tab keeps its Web Lock, which would stall the node's
 * replication. The leader beats over the tab link (six times per lease); a follower that hears
 * no beat for a lease ({@link LEASE_MS} by default) takes the lock over (`steal`), and a leader
 * whose lock was stolen stops as soon as it runs again (its lock request rejects).
 *
 * @module
 */

/** How long a leader may stay silent before a follower takes the lock (default of `join`'s `leaseMs`). */
export const LEASE_MS = 6_000

interface LockManagerLike {
  request(name: string, opts: { mode?: 'exclusive'; ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, cb: (lock: unknown) => Promise<void>): Promise<void>
}

function webLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator
  return nav?.locks ?? null
}

/** In-process stand-in for Web Locks (one JS realm = every "tab" of a test), `steal` included. */
class LocalLocks implements LockManagerLike {
  private readonly held = new Map<string, { queue: (() => void)[]; stolen: (() => void) | null }>()
  async request(name: string, opts: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, cb: (lock: unknown) => Promise<void>): Promise<void> {
    const cur = this.held.get(name)
    if (cur && opts.ifAvailable) return cb(null)
    if (cur && !opts.steal) {
      await new Promise<void>((resolve, reject) => {
        cur.queue.push(resolve)
        opts.signal?.addEventListener('abort', () => {
          const i = cur.queue.indexOf(resolve)
          if (i >= 0) cur.queue.splice(i, 1)
          reject(new DOMException('aborted', 'AbortError'))
        })
      })
    }
    const before = this.held.get(name)
    if (before && opts.steal) before.stolen?.()
    const entry = { queue: before?.queue ?? [], stolen: null as (() => void) | null }
    this.held.set(name, entry)
    const release = (): void => {
      if (this.held.get(name) !== entry) return
      const next = entry.queue.shift()
      if (next) next()
      else this.held.delete(name)
    }
    return new Promise<void>((resolve, reject) => {
      entry.stolen = () => {
        release()
        reject(new DOMException('stolen', 'AbortError'))
      }
      cb({ name }).then(resolve, reject).finally(release)
    })
  }
}

const localLocks = new LocalLocks()

/** The lock manager of this realm. */
export function lockManager(): LockManagerLike {
  return webLocks() ?? localLocks
}

/** What contends for leadership. */
export interface Contender {
  /** Becomes the leader (starts replicating). */
  lead(): Promise<void>
  /** The lock was taken away (stolen after the lease ran out): stop at once. */
  lost(): void
}

const lockName = (name: string): string => `webnesia:${name}:leader`

/**
 * Runs `c.lead()` while this tab holds the node's leader lock, until `until` resolves. Resolves
 * `true` once this tab leads, `false` when another tab does (this one then waits in line, and
 * leads when the lock comes free).
 */
export function contend(name: string, c: Contender, until: Promise<void>, signal: AbortSignal): Promise<boolean> {
  const lm = lockManager()
  return new Promise<boolean>((resolve) => {
    let led = false
    const body = async (lock: unknown): Promise<void> => {
      if (lock === null) {
        resolve(false)
        wait(name, c, until, signal)
        return
      }
      led = true
      await c.lead()
      resolve(true)
      await until
    }
    lm.request(lockName(name), { mode: 'exclusive', ifAvailable: true }, body).catch(() => {
      if (led) c.lost()
      resolve(false)
    })
  })
}

/** Waits in line for the lock, then leads. */
export function wait(name: string, c: Contender, until: Promise<void>, signal: AbortSignal): void {
  let led = false
  lockManager()
    .request(lockName(name), { mode: 'exclusive', signal }, async () => {
      if (signal.aborted) return
      led = true
      await c.lead()
      await until
    })
    .catch(() => {
      if (led) c.lost()
    })
}

/** Takes the leader lock from a silent leader (its lease ran out). */
export function steal(name: string, c: Contender, until: Promise<void>): void {
  let led = false
  lockManager()
    .request(lockName(name), { mode: 'exclusive', steal: true }, async () => {
      led = true
      await c.lead()
      await until
    })
    .catch(() => {
      if (led) c.lost()
    })
}
