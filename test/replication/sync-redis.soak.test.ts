/**
 * The scale run at size (issue 19 item 5): 100 edge nodes (in this process, in-memory copies)
 * over two Hocuspocus instances sharing documents through Redis, each writing 50 records; all
 * converge. Prints the time to convergence and the server farm's memory.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startFarm, startRedis, type Farm } from './redis.js'
import { scale } from './sync-scale.js'

let redis: Awaited<ReturnType<typeof startRedis>>
let farm: Farm
beforeAll(async () => {
  redis = await startRedis()
  farm = await startFarm(redis.port, 2)
}, 60_000)
afterAll(async () => {
  await farm?.stop()
  await redis?.stop()
})

it('100 nodes over two instances, 50 records each: all converge', async () => {
  const n = Number(process.env['WEBNESIA_SCALE_NODES'] ?? 100)
  const r = await scale(farm, n, 50, 1_500_000, 'ram_copies')
  console.log(`sync-server scale: ${JSON.stringify(r)}`)
  expect(r.records).toBe(n * 50)
})
