/** Helpers for the saga tests: handles that close after each test, gates, and event waiting. */
import type { Database, SystemEvent } from '../../src/index.js'

/** A promise with its resolve function outside: a step awaits it, the test opens it. */
export function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void } {
  let open!: (v: T) => void
  const promise = new Promise<T>((resolve) => (open = resolve))
  return { promise, open }
}

/** Resolves with the first system event of `db` that `match` accepts. */
export function nextSystemEvent(db: Database, match: (ev: SystemEvent) => boolean): Promise<SystemEvent> {
  return new Promise((resolve) => {
    const off = db.subscribe('system', (ev) => {
      if (!match(ev)) return
      off()
      resolve(ev)
    })
  })
}

/** Polls `cond` (a read of the database) until it holds; every 10 ms, up to `ms`. */
export async function until(cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('until: condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A stock counter table for local effects. */
export async function stockTable(db: Database, count = 100): Promise<void> {
  await db.createTable('stock', { attributes: ['sku', 'count'] })
  await db.dirtyWrite('stock', { sku: 'apple', count })
}

/** The apple stock as `db` sees it. */
export async function stock(db: Database): Promise<number> {
  const [s] = await db.dirtyRead('stock', 'apple')
  return s?.['count'] as number
}
