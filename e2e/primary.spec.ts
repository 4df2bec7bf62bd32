/**
 * Primary tables (seed 002) over real WebRTC: three devices (browser contexts) in a loopback-only
 * network namespace (scripts/netns.mjs), through the project's loopback signaling server.
 *
 * 1. 3 nodes × 100 read-increment-write transactions on one hot counter of a primary table, from
 *    the primary and the two replicas at once: the counter equals the committed increments on every
 *    node, and the values the increments wrote are exactly 1..N (a total order: 0 lost updates).
 * 2. A second tab of a replica device that never joined: its increments, concurrent with the primary's
 *    and the replica's, go through the device's replicating tab (0 lost updates, read-your-writes).
 * 3. A list-append history from the 3 nodes on a primary table, checked by the Elle-style checker
 *    (test/elle/checker.ts): 0 anomalies.
 * 4. The primary partitioned away: a replica's write rejects with PrimaryUnavailableError, its
 *    replica reads go on; a write with `whenPrimaryDown: 'queue'` lands after the heal.
 * 5. Fail-over: while the old primary is cut off, setPrimary gives the role to a replica, which
 *    commits the cluster's writes; after the heal the old primary forwards to it; then the role
 *    moves back.
 */
import type { Browser, Page } from '@playwright/test'
import { startSignalingServer, type SignalingServer } from '../bin/webnesia-signal.js'
import { check, type Txn } from '../test/elle/checker.js'
import { expect, openHarness, test, uniqueName } from './fixtures.js'
import { joinOptions, recordSystem, systemLog } from './helpers.js'

// One cluster of three devices for the whole file (a device's first harness load takes seconds
// on a loaded machine): the tests run in order on it, each on keys of its own.
test.describe.configure({ mode: 'serial' })

let signal: SignalingServer
let url = ''
const devices: Page[] = []
let pages: [Page, Page, Page]
let nodes: [string, string, string]
test.beforeAll(async ({ browser }) => {
  test.setTimeout(90_000)
  signal = await startSignalingServer({ port: 0 })
  url = `ws://127.0.0.1:${String(signal.port)}`
  ;({ pages, nodes } = await cluster(browser))
})
test.afterAll(async () => {
  for (const p of devices) await p.context().close()
  await signal.close()
})
test.afterEach(async ({}, info) => {
  // A failure says what each device's replication saw (node_up / node_down, copies).
  if (info.status !== info.expectedStatus) {
    for (const [i, page] of devices.entries()) console.log(`device ${String(i)} system events:\n${await systemLog(page)}`)
  }
})

/** A page in a new context (another device), with the permission that gives loopback ICE candidates. */
async function device(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ permissions: ['microphone'] })
  const page = await openHarness(await context.newPage())
  devices.push(page)
  return page
}

/** Resolves in the page once `n` peers are connected. */
function peers(page: Page, n: number): Promise<void> {
  return page.evaluate(async (n) => {
    while ((db.replication?.connected().length ?? 0) < n) {
      await new Promise<void>((resolve) => {
        const off = db.subscribe('system', (e) => {
          if (e.type === 'node_up') {
            off()
            resolve()
          }
        })
      })
    }
  }, n)
}

/** Three joined devices; a creates `counter` and `lists` and is their primary. */
async function cluster(browser: Browser): Promise<{ pages: [Page, Page, Page]; nodes: [string, string, string] }> {
  const room = uniqueName('room')
  const pages = await Promise.all([device(browser), device(browser), device(browser)])
  const nodes: string[] = []
  for (const [i, page] of pages.entries()) {
    nodes.push(
      await page.evaluate(
        async ({ name, opts, first }) => {
          window.db = await webnesia.openDatabase({ name })
          if (first) {
            await db.createTable('counter', { attributes: ['id', 'n'] })
            await db.createTable('lists', { attributes: ['k', 'vals'] })
          }
          await db.join(opts as unknown as Parameters<typeof db.join>[0])
          return db.node
        },
        { name: uniqueName(`n${String(i)}`), opts: joinOptions(url, room), first: i === 0 },
      ),
    )
    await recordSystem(page)
  }
  await Promise.all(pages.map((p) => peers(p, 2)))
  for (const p of pages) await p.evaluate(() => db.waitForTables(['counter', 'lists'], 20_000))
  await pages[0].evaluate(async () => {
    await db.setPrimary('counter', db.node)
    await db.setPrimary('lists', db.node)
  })
  for (const p of pages) {
    await expect.poll(() => p.evaluate(() => [db.tableInfo('counter', 'primary'), db.tableInfo('lists', 'primary')]), { timeout: 20_000 }).toEqual([nodes[0], nodes[0]])
  }
  return { pages, nodes: nodes as [string, string, string] }
}

/** `count` read-increment-write transactions of `counter[id]` in the page: the values written, and the errors. */
function increments(page: Page, count: number, id = 'hot'): Promise<{ values: number[]; errors: string[] }> {
  return page.evaluate(
    async ({ count, id }) => {
      const values: number[] = []
      const errors: string[] = []
      for (let i = 0; i < count; i++) {
        try {
          values.push(
            await db.transaction(async (t) => {
              const [row] = await t.read<{ id: string; n: number }>('counter', id)
              const n = (row?.n ?? 0) + 1
              await t.write('counter', { id, n })
              return n
            }),
          )
        } catch (e) {
          errors.push(String(e))
        }
      }
      return { values, errors }
    },
    { count, id },
  )
}

/** One increment in the page; resolves with the value written or the error's name and code. */
function incrementOnce(page: Page, id: string, opts: Record<string, unknown> = {}): Promise<number | { name: string; code: string; primary: unknown }> {
  return page.evaluate(
    async ({ id, opts }) => {
      try {
        return await db.transaction(async (t) => {
          const [row] = await t.read<{ id: string; n: number }>('counter', id)
          const n = (row?.n ?? 0) + 1
          await t.write('counter', { id, n })
          return n
        }, opts)
      } catch (e) {
        const err = e as { name?: string; code?: string; primary?: unknown }
        return { name: String(err.name), code: String(err.code), primary: err.primary }
      }
    },
    { id, opts },
  )
}

const valueOf = (page: Page, id = 'hot'): Promise<number> => page.evaluate(async (id) => (await db.dirtyRead<{ n: number }>('counter', id))[0]?.n ?? 0, id)

test('3 nodes × 100 increments of one hot primary-table counter: the counter equals the committed increments (0 lost updates)', async ({}, info) => {
  test.setTimeout(60_000)
  const started = Date.now()
  const runs = await Promise.all(pages.map((p) => increments(p, 100)))
  const ms = Date.now() - started
  const values = runs.flatMap((r) => r.values).sort((x, y) => x - y)
  const errors = runs.flatMap((r) => r.errors)
  info.annotations.push({ type: 'increments', description: `${String(values.length)} committed, ${String(errors.length)} failed in ${String(ms)} ms (${runs.map((r) => r.values.length).join(' / ')} per node)` })
  expect(errors).toEqual([])
  // Each committed increment read the value the one before it wrote: a total order, nothing lost.
  expect(values).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
  for (const p of pages) await expect.poll(() => valueOf(p), { timeout: 20_000 }).toBe(300)
})

test('a tab of a replica device that never joined: its increments route through the device’s replicating tab (0 lost updates, read-your-writes)', async ({}, info) => {
  test.setTimeout(60_000)
  const [a, b] = pages
  // A second tab of device b: same origin (context), same database name, no join.
  const tab = await openHarness(await b.context().newPage())
  devices.push(tab)
  const name = await b.evaluate(() => db.name)
  await tab.evaluate(async (name) => {
    window.db = await webnesia.openDatabase({ name })
  }, name)
  await expect.poll(() => tab.evaluate(() => db.tableInfo('counter', 'primary')), { timeout: 20_000 }).toBe(nodes[0])
  expect(await tab.evaluate(() => db.replication)).toBeFalsy()
  const PER = 40
  const started = Date.now()
  const runs = await Promise.all(
    [a, b, tab].map((page) =>
      page.evaluate(
        async ({ per }) => {
          const values: number[] = []
          const stale: number[] = []
          for (let i = 0; i < per; i++) {
            const n = await db.transaction(async (t) => {
              const [row] = await t.read<{ id: string; n: number }>('counter', 'tabs')
              const n = (row?.n ?? 0) + 1
              await t.write('counter', { id: 'tabs', n })
              return n
            })
            values.push(n)
            // Read-your-writes in the tab that wrote, whichever tab carried it to the primary.
            const seen = (await db.dirtyRead<{ n: number }>('counter', 'tabs'))[0]?.n ?? 0
            if (seen < n) stale.push(n)
          }
          return { values, stale }
        },
        { per: PER },
      ),
    ),
  )
  info.annotations.push({ type: 'increments', description: `${String(3 * PER)} in ${String(Date.now() - started)} ms from the primary, a replica and the replica's second tab` })
  expect(runs.map((r) => r.stale)).toEqual([[], [], []])
  expect(runs.flatMap((r) => r.values).sort((x, y) => x - y)).toEqual(Array.from({ length: 3 * PER }, (_, i) => i + 1))
  for (const p of [...pages, tab]) await expect.poll(() => valueOf(p, 'tabs'), { timeout: 20_000 }).toBe(3 * PER)
  await tab.close()
  devices.splice(devices.indexOf(tab), 1)
})

test('a list-append history from 3 nodes on a primary table: 0 anomalies (Elle-style checker)', async ({}, info) => {
  test.setTimeout(60_000)
  const PER_NODE = 80
  const KEYS = 4
  const histories = await Promise.all(
    pages.map((page, node) =>
      page.evaluate(
        async ({ node, perNode, keys }) => {
          let x = node * 7919 + 3
          const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) % 2147483648), Math.floor((x / 2147483648) * n))
          type Op = ['append', number, number] | ['r', number, number[] | null]
          const out: { id: number; status: 'ok' | 'fail' | 'info'; ops: Op[]; error?: string }[] = []
          // Two workers per node, so the node's own transactions overlap too.
          let next = 0
          const worker = async (count: number): Promise<void> => {
            for (let i = 0; i < count; i++) {
              const id = node * 100_000 + next++
              let appended = 0
              const plan: Op[] = Array.from({ length: 1 + rnd(3) }, (): Op => (rnd(3) > 0 ? ['append', rnd(keys), id * 10 + appended++] : ['r', rnd(keys), null]))
              try {
                const ops = await db.transaction(async (t) => {
                  const done: Op[] = []
                  for (const op of plan) {
                    const [rec] = await t.read('lists', op[1])
                    const vals = (rec?.['vals'] as number[] | undefined) ?? []
                    done.push(['r', op[1], [...vals]])
                    if (op[0] === 'append') {
                      await t.write('lists', { k: op[1], vals: [...vals, op[2]] })
                      done.push(['append', op[1], op[2]])
                    }
                  }
                  return done
                })
                out.push({ id, status: 'ok', ops })
              } catch (e) {
                out.push({ id, status: 'info', ops: plan.map((op): Op => (op[0] === 'r' ? ['r', op[1], null] : op)), error: String(e) })
              }
            }
          }
          await Promise.all([worker(perNode / 2), worker(perNode / 2)])
          return out
        },
        { node, perNode: PER_NODE, keys: KEYS },
      ),
    ),
  )
  // A final read on every node, validated at the primary: serialized after everything above.
  const finals = await Promise.all(
    pages.map((page) =>
      page.evaluate(
        async (keys) =>
          db.transaction(
            async (t) => {
              const ops: ['r', number, number[]][] = []
              for (let k = 0; k < keys; k++) ops.push(['r', k, [...(((await t.read('lists', k))[0]?.['vals'] as number[] | undefined) ?? [])]])
              return ops
            },
            { reads: 'primary' },
          ),
        KEYS,
      ),
    ),
  )
  const history: Txn[] = histories.flat().map(({ id, status, ops }) => ({ id, status, ops }))
  finals.forEach((ops, node) => history.push({ id: -1 - node, status: 'ok', ops }))
  const failed = histories.flat().filter((t) => t.status !== 'ok')
  const committed = history.filter((t) => t.status === 'ok')
  const appends = committed.flatMap((t) => t.ops.filter((o) => o[0] === 'append')).length
  info.annotations.push({ type: 'history', description: `${String(committed.length)} committed, ${String(failed.length)} failed, ${String(appends)} appends` })
  expect(failed.map((t) => t.error)).toEqual([])
  const anomalies = check(history, { finalTxn: -1 })
  expect(anomalies.slice(0, 20)).toEqual([])
  for (const ops of finals) {
    expect(ops.reduce((n, [, , l]) => n + l.length, 0)).toBe(appends)
    expect(ops).toEqual(finals[0])
  }
})

test('primary cut off: PrimaryUnavailableError, replica reads go on, queued writes land after the heal; fail-over to a replica and back', async () => {
  test.setTimeout(60_000)
  const [a, b, c] = pages
  const [nodeA, nodeB, nodeC] = nodes
  expect(await incrementOnce(b, 'fo')).toBe(1)
  await expect.poll(() => valueOf(c, 'fo')).toBe(1)

  // {a} | {b, c}
  await a.evaluate((ns) => db.replication?.partition(ns), [nodeB, nodeC])
  for (const p of [b, c]) await p.evaluate((n) => db.replication?.partition([n]), nodeA)
  expect(await incrementOnce(b, 'fo')).toEqual({ name: 'PrimaryUnavailableError', code: 'primary_unavailable', primary: nodeA })
  // Replica reads go on, and say how old the copy is.
  expect(await b.evaluate(async () => db.transaction(async (t) => (await t.read<{ n: number }>('counter', 'fo'))[0]?.n))).toBe(1)
  const lastSync = await b.evaluate(() => db.tableInfo('counter', 'lastSync'))
  expect(typeof lastSync).toBe('number')
  expect(lastSync as number).toBeLessThanOrEqual(Date.now())
  // Queued: kept (durably) until the primary is back.
  await c.evaluate(() => {
    const w = window as unknown as { queued: Promise<number> }
    w.queued = db.transaction(
      async (t) => {
        const [row] = await t.read<{ id: string; n: number }>('counter', 'q')
        const n = (row?.n ?? 0) + 1
        await t.write('counter', { id: 'q', n })
        return n
      },
      { whenPrimaryDown: 'queue' },
    )
  })
  expect(await valueOf(a, 'q')).toBe(0)
  for (const p of pages) await p.evaluate(() => db.replication?.heal())
  expect(await c.evaluate(() => (window as unknown as { queued: Promise<number> }).queued)).toBe(1)
  for (const p of pages) await expect.poll(() => valueOf(p, 'q'), { timeout: 20_000 }).toBe(1)
  await Promise.all(pages.map((p) => peers(p, 2)))

  // Fail-over: a cut off again; b takes the role (a new epoch) and commits for b and c.
  await a.evaluate((ns) => db.replication?.partition(ns), [nodeB, nodeC])
  for (const p of [b, c]) await p.evaluate((n) => db.replication?.partition([n]), nodeA)
  await b.evaluate((n) => db.setPrimary('counter', n), nodeB)
  await expect.poll(() => c.evaluate(() => db.tableInfo('counter', 'primary'))).toBe(nodeB)
  expect(await incrementOnce(c, 'fo')).toBe(2)
  expect(await incrementOnce(b, 'fo')).toBe(3)
  for (const p of pages) await p.evaluate(() => db.replication?.heal())
  await Promise.all(pages.map((p) => peers(p, 2)))
  await expect.poll(() => a.evaluate(() => db.tableInfo('counter', 'primary')), { timeout: 20_000 }).toBe(nodeB)
  // The old primary now forwards its writes to the new one.
  expect(await incrementOnce(a, 'fo')).toBe(4)
  // And back: the role returns to a.
  await b.evaluate((n) => db.setPrimary('counter', n), nodeA)
  for (const p of pages) await expect.poll(() => p.evaluate(() => db.tableInfo('counter', 'primary')), { timeout: 20_000 }).toBe(nodeA)
  expect(await incrementOnce(b, 'fo')).toBe(5)
  expect(await incrementOnce(c, 'fo')).toBe(6)
  for (const p of pages) await expect.poll(() => valueOf(p, 'fo'), { timeout: 20_000 }).toBe(6)
})
