/** One tab of a node replicates; the others see remote commits through the log; a joined tab takes over. */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type TableEvent } from '../../src/index.js'
import { settle, uniqueName } from '../node/helpers.js'
import { Network, quiet } from './network.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

it('the leader tab replicates for the node; another tab gets peer changes as origin "peer"; on close a joined tab takes over', async () => {
  const net = new Network()
  const nameA = uniqueName('la')
  const tab1 = await openDatabase({ name: nameA })
  const tab2 = await openDatabase({ name: nameA })
  const b = await openDatabase({ name: uniqueName('lb') })
  open.push(tab1, tab2, b)
  await tab1.createTable('t', { attributes: ['k', 'v'] })
  await tab1.join({ room: 'l', transport: net.transport(0), resyncMs: 0 })
  await tab2.join({ room: 'l', transport: net.transport(0), resyncMs: 0 })
  await b.join({ room: 'l', transport: net.transport(1), resyncMs: 0 })
  expect(tab1.replication).not.toBeNull()
  expect(tab2.replication).toBeNull()
  net.connect(0, 1)
  await quiet(net, [tab1, b])

  const seen: TableEvent[] = []
  await settle(tab2)
  tab2.subscribe({ table: 't' }, (e) => seen.push(e))
  await b.dirtyWrite('t', { k: 1, v: 'from b' })
  await quiet(net, [tab1, b])
  await settle(tab2)
  expect(seen).toEqual([{ type: 'write', table: 't', record: { k: 1, v: 'from b' }, origin: 'peer' }])

  // A commit in the follower tab reaches the peer through the leader.
  await tab2.dirtyWrite('t', { k: 2, v: 'from tab2' })
  await settle(tab1)
  await quiet(net, [tab1, b])
  expect(await b.dirtyRead('t', 2)).toEqual([{ k: 2, v: 'from tab2' }])

  // The leader goes away: the other joined tab takes the lock and replicates.
  const takeover = new Promise<unknown>((resolve) => tab2.subscribe('system', (e) => e.type === 'leader' && resolve(e)))
  await tab1.close()
  open.splice(open.indexOf(tab1), 1)
  expect(await takeover).toMatchObject({ type: 'leader' })
  expect(tab2.replication).not.toBeNull()
  net.connect(0, 1)
  await quiet(net, [tab2, b])
  await b.dirtyWrite('t', { k: 3, v: 'after takeover' })
  await quiet(net, [tab2, b])
  expect(await tab2.dirtyRead('t', 3)).toEqual([{ k: 3, v: 'after takeover' }])
})
