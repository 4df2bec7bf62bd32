/**
 * The leader tab: of all the tabs of a node that called `join`, one runs replication (DESIGN.md
 * decision 5). Elected with the Web Locks API; where it is missing (Node), an in-process lock
 * with the same semantics stands in.
 *
 * Lease (decision 7): a frozen tab keeps its Web Lock, which would stall the node's
 * replication. The leader beats every {@link BEAT_MS} over the tab link; a follower that hears
 * no beat for {@link LEASE_MS} takes the lock over (`steal`), and a leader whose lock was stolen
 * stops as soon as it runs again.
 *
 * @module
 */

/** How often the leader tells the other tabs it is alive. */
export const BEAT_MS = 1_000
/** A leader silent this long loses the lock to a follower. */
export const LEASE_MS = 6_000

interface LockManagerLike {
  request(name: string, opts: { mode?: 'exclusive'; ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, cb: (lock: unknown) => Promise<void>): Promise<void>
}

function webLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator
  return nav?.locks ?? null
}

/** In-process stand-in for Web Locks (one JS realm = every "tab" of a test). */
class LocalLocks implements LockManagerLike {
  private readonly held = new Map<string, { release: () => void; queue: (() => void)[] }>()
  async request(name: string, opts: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, cb: (lock: unknown) => Promise<void>): Promise<void> {
    let h = this.held.get(name)
    if (h && opts.ifAvailable) return cb(null)
    if (h && !opts.steal) {
      await new Promise<void>((resolve, reject) => {
        const cur = h as { queue: (() => void)[] }
        cur.queue.push(resolve)
        opts.signal?.addEventListener('abort', () => {
          cur.queue.splice(cur.queue.indexOf(resolve), 1)
          reject(new DOMException('aborted', 'AbortError'))
        })
      })
    }
    h = this.held.get(name)
    const queue = h?.queue ?? []
    const entry = { release: () => undefined, queue }
    this.held.set(name, entry)
    try {
      return await cb({ name })
    } finally {
      if (this.held.get(name) === entry) {
        const next = queue.shift()
        if (next) next()
        else this.held.delete(name)
      }
    }
  }
}

const localLocks = new LocalLocks()

/** The lock manager of this realm. */
export function lockManager(): LockManagerLike {
  return webLocks() ?? localLocks
}

/**
 * Runs `lead` while this tab holds the node's leader lock, until `until` resolves. Resolves
 * `true` once this tab leads, `false` when another tab does (this one then waits in line).
 */
export function contend(name: string, lead: () => Promise<void>, until: Promise<void>, signal: AbortSignal): Promise<boolean> {
  const lm = lockManager()
  const lockName = `webnesia:${name}:leader`
  return new Promise<boolean>((resolve) => {
    const body = async (lock: unknown): Promise<void> => {
      if (lock === null) {
        resolve(false)
        void lm
          .request(lockName, { mode: 'exclusive', signal }, async () => {
            if (signal.aborted) return
            await lead()
            await until
          })
          .catch(() => undefined)
        return
      }
      await lead()
      resolve(true)
      await until
    }
    lm.request(lockName, { mode: 'exclusive', ifAvailable: true }, body).catch(() => {
      resolve(false)
    })
  })
}

/** Takes the leader lock from a silent leader (its lease ran out). */
export function steal(name: string, lead: () => Promise<void>, until: Promise<void>): void {
  void lockManager()
    .request(`webnesia:${name}:leader`, { mode: 'exclusive', steal: true }, async () => {
      await lead()
      await until
    })
    .catch(() => undefined)
}
