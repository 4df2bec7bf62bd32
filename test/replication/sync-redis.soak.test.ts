/**
 * The scale run at size (issue 19 item 5): 100 edge nodes (in this process, in-memory copies)
 * over two Hocuspocus instances sharing documents through Redis, each writing 50 records; all
 * converge. Prints the time to convergence and the server farm's memory.
 */
import { expect, it } from 'vitest'
import { useRedisFarm } from './redis.js'
import { scale } from './sync-scale.js'

const farmOf = useRedisFarm(2)

it('100 nodes over two instances, 50 records each: all converge', async () => {
  const n = Number(process.env['WEBNESIA_SCALE_NODES'] ?? 100)
  const r = await scale(farmOf(), n, 50, 1_500_000, 'ram_copies')
  console.log(`sync-server scale: ${JSON.stringify(r)}`)
  expect(r.records).toBe(n * 50)
})
