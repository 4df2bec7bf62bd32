/**
 * One Web Locks shim: the browser's `navigator.locks` where it exists, else an in-realm stand-in
 * with the same semantics for what the engine uses (exclusive locks, `ifAvailable`, `steal`,
 * `signal`, and `query()` of the held locks), so that handles opened in one JS realm (Node tests:
 * API.md's "two handles with one name behave as two tabs") see each other as tabs do.
 *
 * @module
 */

/** Options of a lock request (the subset of Web Locks the engine uses). */
export interface LockOptions {
  mode?: 'exclusive'
  ifAvailable?: boolean
  steal?: boolean
  signal?: AbortSignal
}

/** The subset of `LockManager` the engine uses. */
export interface LockManagerLike {
  request(name: string, opts: LockOptions, cb: (lock: unknown) => Promise<void>): Promise<void>
  query(): Promise<{ held?: { name?: string }[] }>
}

function webLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator
  return nav?.locks ?? null
}

/** In-realm stand-in for Web Locks (one JS realm = every "tab" of a test), `steal` included. */
class LocalLocks implements LockManagerLike {
  private readonly held = new Map<string, { queue: (() => void)[]; stolen: (() => void) | null }>()

  async request(name: string, opts: LockOptions, cb: (lock: unknown) => Promise<void>): Promise<void> {
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

  query(): Promise<{ held: { name: string }[] }> {
    return Promise.resolve({ held: [...this.held.keys()].map((name) => ({ name })) })
  }
}

const localLocks = new LocalLocks()

/** The lock manager of this realm: Web Locks, or the in-realm stand-in. */
export function lockManager(): LockManagerLike {
  return webLocks() ?? localLocks
}
