/**
 * Peer changes in the commit path: their records are read inside the commit, and a local commit
 * earlier in the same group wins over them (the replication document takes the local value
 * right after, so document and table agree).
 */
import { expect, it } from 'vitest'
import type { Database } from '../../src/index.js'
import type { Committer, PeerChange } from '../../src/txn/committer.js'
import { WriteSet } from '../../src/txn/write-set.js'
import { fresh } from '../node/helpers.js'

const committerOf = (db: Database): Committer => (db as unknown as { committer: Committer }).committer

function peerChange(key: string, v: string, seen: string[]): PeerChange {
  return {
    node: 'peer-node',
    keys: new Map([['kv', [key]]]),
    target: () => {
      seen.push(key)
      return [Object.freeze({ k: key, v })]
    },
  }
}

it('a peer change committed with a local one in the same group does not overwrite the local write', async () => {
  const [db] = (await fresh()) as [Database]
  await db.createTable('kv', { attributes: ['k', 'v'] })
  const c = committerOf(db)
  const ws = new WriteSet()
  ws.add('kv', 'x', { w: Object.freeze({ k: 'x', v: 'local' }) })
  const seen: string[] = []
  // Same tick: one group, the local request first.
  const local = c.submit({ reads: null, writes: ws })
  const remote = c.submit({ reads: null, writes: new WriteSet(), peer: peerChange('x', 'remote', seen) })
  await Promise.all([local, remote])
  expect(await db.dirtyRead('kv', 'x')).toEqual([{ k: 'x', v: 'local' }])
  await db.close()
})

it('a peer change is applied with origin "peer", and one equal to the table is no commit at all', async () => {
  const [db] = (await fresh()) as [Database]
  await db.createTable('kv', { attributes: ['k', 'v'] })
  const events: unknown[] = []
  db.subscribe({ table: 'kv' }, (e) => events.push(e))
  const c = committerOf(db)
  const seen: string[] = []
  const r1 = await c.submit({ reads: null, writes: new WriteSet(), peer: peerChange('y', 'remote', seen) })
  const r2 = await c.submit({ reads: null, writes: new WriteSet(), peer: peerChange('y', 'remote', seen) })
  expect(r1 !== 'conflict' && r2 !== 'conflict' && r2.lsn).toBe(r1 !== 'conflict' && r1.lsn)
  expect(events).toEqual([{ type: 'write', table: 'kv', record: { k: 'y', v: 'remote' }, origin: 'peer' }])
  expect(seen).toEqual(['y', 'y'])
  await db.close()
})
