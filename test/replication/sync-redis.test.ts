/**
 * Hocuspocus with its Redis extension, two instances on loopback, Debian's redis-server started
 * here and stopped after: nodes connected to different instances replicate, and a small version
 * of the scale run (the 100-node one is sync-redis.soak.test.ts).
 */
import { expect, it } from 'vitest'
import { openDatabase } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'
import { useRedisFarm } from './redis.js'
import { scale, until } from './sync-scale.js'

const farmOf = useRedisFarm(2)

it('nodes on different Hocuspocus instances converge through Redis', async () => {
  expect(farmOf().urls).toHaveLength(2)
  const a = await openDatabase({ name: uniqueName('r') })
  const b = await openDatabase({ name: uniqueName('r') })
  try {
    await a.createTable('item', { attributes: ['id', 'v'] })
    await a.dirtyWrite('item', { id: 1, v: 'from a' })
    const room = uniqueName('room')
    await a.join({ room, server: farmOf().urls[0], serverKind: 'hocuspocus', resyncMs: 0 })
    await b.join({ room, server: farmOf().urls[1], serverKind: 'hocuspocus', resyncMs: 0 })
    await b.waitForTables(['item'], 10_000)
    await b.dirtyWrite('item', { id: 2, v: 'from b' })
    await until(async () => (await a.dirtyRead('item', 2)).length === 1, 10_000, 'a has b’s write')
    expect(await b.dirtyRead('item', 1)).toEqual([{ id: 1, v: 'from a' }])
    expect(a.replication?.connected()).toEqual([b.node])
  } finally {
    await a.close()
    await b.close()
  }
})

// The small version of the scale run (the 100-node one is in test:soak; all nodes share this
// process, so its cost grows with about the cube of the nodes: 20 take a few seconds).
it('16 nodes over two instances, 30 records each: all converge', async () => {
  const r = await scale(farmOf(), 16, 30, 150_000)
  console.log(`sync-server scale: ${JSON.stringify(r)}`)
  expect(r.records).toBe(480)
}, 200_000)
