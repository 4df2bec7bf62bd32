/**
 * The leader tab's lease: a node's replicating tab is frozen (it keeps its Web Lock); another
 * joined tab of the node takes over within the lease and replicates with the peer; the frozen tab,
 * resumed, finds its lock gone and stops replicating.
 */
import { startSignalingServer } from '../bin/webnesia-signal.js'
import { expect, freezePage, openHarness, test, uniqueName } from './fixtures.js'
import { listen } from './helpers.js'

// When each phase was reached, printed if the test fails (under a loaded CI the set-up alone
// takes tens of seconds: this tells a slow set-up from a takeover that never came).
const phases: string[] = []
let started = 0
const phase = (what: string): void => void phases.push(`${what}: ${String(Date.now() - started)} ms`)
test.afterEach(({}, info) => {
  if (info.status !== info.expectedStatus) console.log(`phases reached:\n${phases.join('\n')}`)
})

test('a frozen leader tab loses replication to another tab of its node within the lease', async ({ freezable, browser }) => {
  test.setTimeout(90_000)
  started = Date.now()
  const signal = await startSignalingServer({ port: 0 })
  const opts = { room: uniqueName('room'), signaling: [`ws://127.0.0.1:${String(signal.port)}`], peerOpts: { config: { iceServers: [] } }, leaseMs: 1500, resyncMs: 500 }
  await freezable.context.grantPermissions(['microphone'])
  const name = uniqueName('n')
  const a1 = await openHarness(await freezable.context.newPage())
  const a2 = await openHarness(await freezable.context.newPage())
  for (const p of [a1, a2]) await p.evaluate((name) => webnesia.openDatabase({ name }).then((h) => void (window.db = h)), name)
  await a1.evaluate(() => db.createTable('t', { attributes: ['k', 'v'] }))
  await a1.evaluate((o) => db.join(o), opts)
  await a2.evaluate((o) => db.join(o), opts)
  expect(await a1.evaluate(() => db.replication !== null)).toBe(true)
  expect(await a2.evaluate(() => db.replication !== null)).toBe(false)
  phase('a1 leads, a2 follows')

  const peerContext = await browser.newContext({ permissions: ['microphone'] })
  const b = await openHarness(await peerContext.newPage())
  await b.evaluate((name) => webnesia.openDatabase({ name }).then((h) => void (window.db = h)), uniqueName('b'))
  const bUp = await listen(b, 'system', { type: 'node_up' })
  await b.evaluate((o) => db.join(o), opts)
  await bUp()
  await b.evaluate(() => db.waitForTables(['t'], 20_000))
  phase('the peer copied the table')

  const takeover = await listen(a2, 'system', { type: 'leader' })
  const frozenAt = Date.now()
  const resume = await freezePage(a1)
  phase('a1 frozen')
  await takeover()
  phase('a2 took over')
  const ms = Date.now() - frozenAt
  expect(ms).toBeLessThan(10_000)
  test.info().annotations.push({ type: 'takeover', description: `${String(ms)} ms after the freeze (lease 1500 ms)` })

  // The new leader replicates: a peer's write arrives in a2 as a peer change.
  const got = await listen(a2, { table: 't' })
  await b.evaluate(() => db.dirtyWrite('t', { k: 1, v: 'after the freeze' }))
  expect(await got()).toEqual({ type: 'write', table: 't', record: { k: 1, v: 'after the freeze' }, origin: 'peer' })
  phase("the peer's write reached a2")

  // The old leader, resumed, has stopped replicating.
  await resume()
  await expect.poll(() => a1.evaluate(() => db.replication === null)).toBe(true)
  await peerContext.close()
  await signal.close()
})
