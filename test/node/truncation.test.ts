/**
 * Log truncation never removes entries a live tab has not applied, however long ago that tab
 * reported (a frozen tab keeps its Web Lock): its next commit's log key must still collide with
 * the entries it missed, so it catches up instead of committing on a stale view.
 */
import { openDB } from 'idb'
import { expect, it } from 'vitest'
import type { Database } from '../../src/index.js'
import type { LocalNode } from '../../src/node.js'
import { fresh } from './helpers.js'

const local = (db: Database): LocalNode => (db as unknown as { local: LocalNode }).local

it('a live tab whose report is ancient keeps its entries; its stale commit collides and catches up', async () => {
  const [a, b] = (await fresh(2)) as [Database, Database]
  await a.createTable('kv', { attributes: ['k', 'v'] })
  await local(b).catchUp()
  await local(b).housekeeping()
  const behind = local(b).applied
  // b looks silent for a long time (frozen), yet holds its lock: it is alive.
  const raw = await openDB(`webnesia:${a.name}`)
  await raw.put('tabs', { applied: behind, at: 0 }, local(b).tab)
  raw.close()
  // b hears nothing of a's commits (as a frozen tab would not).
  ;(local(b) as unknown as { link: { channel: BroadcastChannel } }).link.channel.onmessage = null
  for (let i = 0; i < 5; i++) await a.dirtyWrite('kv', { k: i, v: 'a' })
  await local(a).housekeeping()
  expect(local(b).applied).toBe(behind)
  // b commits on its stale view: the log key collides, b catches up, the commit lands after a's.
  await b.transaction(async (t) => {
    const all = await t.matchObject('kv', {})
    await t.write('kv', { k: 'count', v: all.length })
  })
  expect(await b.dirtyRead('kv', 'count')).toEqual([{ k: 'count', v: 5 }])
  await local(a).catchUp()
  expect(await a.dirtyRead('kv', 'count')).toEqual([{ k: 'count', v: 5 }])
  await a.close()
  await b.close()
})
