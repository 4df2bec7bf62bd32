/**
 * Primary tables in the tabs of a node that do not replicate (issue 18): they mirror the leader
 * tab's roles and route their transactions through it to the primary, on the simulated network.
 * Two handles with one name are two tabs of one node (API.md).
 */
import { afterEach, expect, it, vi } from 'vitest'
import { openDatabase, PrimaryUnavailableError, type Database } from '../../src/index.js'
import { cluster, increment, valueOf } from './helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0).reverse()) await db.close()
})

/** Another tab of a node, once it knows `counter`'s primary (the leader's answer to its 'who-leads'). */
async function otherTab(name: string, primary: string): Promise<Database> {
  const db = await openDatabase({ name })
  open.push(db)
  await vi.waitFor(() => {
    expect(db.tableInfo('counter', 'primary')).toBe(primary)
  })
  return db
}

it('a tab that never joined writes a primary table through its node’s replicating tab: no lost update', async () => {
  const { dbs, names, settle } = await cluster(2, open)
  const [a, b] = dbs as [Database, Database]
  const b2 = await otherTab(names[1] as string, a.node)
  const a2 = await otherTab(names[0] as string, a.node)
  expect(typeof b2.tableInfo('counter', 'lastSync')).toBe('number')
  const per = 8
  const results = await Promise.all(
    [a, b, b2, a2].map(async (db) => {
      const mine: number[] = []
      for (let i = 0; i < per; i++) {
        const n = await increment(db)
        // Read-your-writes in the tab that wrote, whichever tab sent it on.
        expect(await valueOf(db)).toBeGreaterThanOrEqual(n)
        mine.push(n)
      }
      return mine
    }),
  )
  await settle()
  // Every increment saw a distinct value: one order across nodes and tabs.
  expect(results.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 4 * per }, (_, i) => i + 1))
  for (const db of [a, b, b2, a2]) await vi.waitFor(async () => expect(await valueOf(db)).toBe(4 * per))
})

it('no tab of the node replicates: a write from another tab rejects, or with queue lands once one does', async () => {
  const { net, dbs, names, settle } = await cluster(2, open)
  const [a, b] = dbs as [Database, Database]
  const b2 = await otherTab(names[1] as string, a.node)
  await b.leave()
  await vi.waitFor(() => {
    expect(b2.tableInfo('counter', 'primary')).toBe(a.node) // the role stays known
  })
  const err = await increment(b2).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(PrimaryUnavailableError)
  expect(await valueOf(b2)).toBe(0)
  const queued = increment(b2, 'hot', { whenPrimaryDown: 'queue' })
  await b.join({ room: 'prim', transport: net.transport(1), resyncMs: 0 })
  net.connect(0, 1)
  expect(await queued).toBe(1)
  await settle()
  expect(await valueOf(a)).toBe(1)
})
