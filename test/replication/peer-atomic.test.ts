/**
 * A peer's commit becomes visible here whole: every state a reader of this node can see is one
 * the other node committed (its updates are applied to the document and committed one at a time,
 * so the commit of one update never reads the records of a later one: inbound.ts).
 *
 * The workload: commit `i` on A writes `a = i`, `b = i` and a new key `n<i>` in one transaction;
 * B follows with a live query reading `a`, `b` and the key count, and with table events grouped
 * by commit. A torn state would show `count !== a + 3`.
 */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

interface State {
  a: number | null
  b: number | null
  count: number
}

it("a live query on a peer sees only the other node's committed states, in order", async () => {
  const net = new Network()
  const a = await openDatabase({ name: uniqueName('atomic') })
  const b = await openDatabase({ name: uniqueName('atomic') })
  open.push(a, b)
  await a.createTable('kv', { attributes: ['k', 'v'] })
  await a.join({ room: 'atomic', resyncMs: 0, heartbeatMs: 0, transport: net.transport(0) })
  await b.join({ room: 'atomic', resyncMs: 0, heartbeatMs: 0, transport: net.transport(1) })
  net.connect(0, 1)
  await quiet(net, [a, b])
  await b.waitForTables(['kv'], 5000)
  const seen: State[] = []
  const q = b.liveQuery(async (t) => {
    const [ra] = await t.read('kv', 'a')
    const [rb] = await t.read('kv', 'b')
    const keys = await t.allKeys('kv')
    return { a: (ra?.['v'] as number | undefined) ?? null, b: (rb?.['v'] as number | undefined) ?? null, count: keys.length }
  })
  const off = q.subscribe((v) => seen.push(v))
  const N = 40
  // Commits in quick succession: each update reaches B while B still commits the one before.
  const commits: Promise<unknown>[] = []
  for (let i = 0; i < N; i++) {
    commits.push(
      a.transaction(async (t) => {
        await t.write('kv', { k: 'a', v: i })
        await t.write('kv', { k: 'b', v: i })
        await t.write('kv', { k: `n${String(i)}`, v: i })
      }),
    )
  }
  await Promise.all(commits)
  await quiet(net, [a, b])
  await expect.poll(() => seen.at(-1)).toEqual({ a: N - 1, b: N - 1, count: N + 2 })
  off()
  const torn = seen.filter((s) => s.a !== null && (s.b !== s.a || s.count !== s.a + 3))
  expect(torn).toEqual([])
  for (let i = 1; i < seen.length; i++) expect(seen[i]?.a ?? -1).toBeGreaterThan(seen[i - 1]?.a ?? -1)
})
