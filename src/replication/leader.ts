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
import { lockManager } from '../util/locks.js'

/** How long a leader may stay silent before a follower takes the lock (default of `join`'s `leaseMs`). */
export const LEASE_MS = 6_000

// The Web Locks API, or its in-realm stand-in (one shim for the whole engine: util/locks.ts).

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
