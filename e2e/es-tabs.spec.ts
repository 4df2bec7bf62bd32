/**
 * The event store in real tabs: 4 tabs × 250 dispatches on 5 aggregates, with concurrent workers
 * in each tab. Every stream ends gap-free (versions 1..n), every command appended exactly once,
 * the aggregate state equal to a fold of its events in every tab, and a projection declared in
 * every tab applied each event exactly once.
 */
import { expect, openHarness, test } from './fixtures.js'
import { openIn } from './helpers.js'

const TABS = 4
const PER_TAB = 250
const AGGREGATES = 5

test(`${String(TABS)} tabs × ${String(PER_TAB)} dispatches on ${String(AGGREGATES)} aggregates: gap-free streams, state = fold, projection once per event`, async ({ harness, context, dbName }) => {
  test.setTimeout(300_000)
  const tabs = [harness]
  for (let i = 1; i < TABS; i++) tabs.push(await openHarness(await context.newPage()))
  await openIn(harness, dbName)
  await harness.evaluate(async () => {
    await db.createTable('totals', { attributes: ['id', 'sum', 'count'], localContent: true })
    await db.eventStore().append('warmup', [{ type: 'W' }]) // creates the store's tables once
  })
  for (const t of tabs.slice(1)) await openIn(t, dbName)
  const started = Date.now()
  await Promise.all(
    tabs.map((t, ti) =>
      t.evaluate(
        async ({ ti, perTab, aggregates }) => {
          await db.waitForTables(['totals', 'es:event'], 10_000)
          db.projection('totals', {
            leaseMs: 1000,
            handle: async (tx, ev) => {
              if (ev.type !== 'Added') return
              const [r] = await tx.read('totals', ev.stream)
              await tx.write('totals', { id: ev.stream, sum: ((r?.['sum'] as number | undefined) ?? 0) + (ev.data as { n: number }).n, count: ((r?.['count'] as number | undefined) ?? 0) + 1 })
            },
          })
          const Counter = db.aggregate<{ sum: number; ids: string[] }, { id: string; n: number }>('counter', {
            initial: () => ({ sum: 0, ids: [] }),
            execute: (_s, c) => [{ type: 'Added', data: { id: c.id, n: c.n } }],
            apply: (s, ev) => ({ sum: s.sum + (ev.data as { n: number }).n, ids: [...s.ids, (ev.data as { id: string }).id] }),
            snapshotEvery: 20,
          })
          let x = ti * 7919 + 1
          const rand = (): number => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648)
          const workers = 5
          let next = 0
          const worker = async (): Promise<void> => {
            while (next < perTab) {
              const i = next++
              const agg = `agg-${String(Math.floor(rand() * aggregates))}`
              await Counter.dispatch(agg, { id: `t${String(ti)}-${String(i)}`, n: i + 1 })
            }
          }
          await Promise.all(Array.from({ length: workers }, () => worker()))
        },
        { ti, perTab: PER_TAB, aggregates: AGGREGATES },
      ),
    ),
  )
  const elapsed = Date.now() - started
  console.log(`es-tabs: ${String(TABS * PER_TAB)} dispatches in ${String(elapsed)} ms (${(TABS * PER_TAB / (elapsed / 1000)).toFixed(0)}/s)`)
  const expectedIds = tabs.flatMap((_t, ti) => Array.from({ length: PER_TAB }, (_, i) => `t${String(ti)}-${String(i)}`)).sort()
  for (const t of tabs) {
    const report = await t.evaluate(async (aggregates) => {
      const es = db.eventStore()
      const Counter = db.aggregate<{ sum: number; ids: string[] }, never>('counter', {
        initial: () => ({ sum: 0, ids: [] }),
        execute: () => [],
        apply: (s, ev) => ({ sum: s.sum + (ev.data as { n: number }).n, ids: [...s.ids, (ev.data as { id: string }).id] }),
        snapshotEvery: 20,
      })
      const out: { versionsOk: boolean; foldOk: boolean; ids: string[]; n: number; sum: number }[] = []
      for (let a = 0; a < aggregates; a++) {
        const id = `agg-${String(a)}`
        const evs = await es.read(id)
        const fold = evs.reduce((s, e) => s + (e.data as { n: number }).n, 0)
        const { state, version } = await Counter.load(id)
        out.push({
          versionsOk: evs.every((e, i) => e.version === i + 1) && version === evs.length,
          foldOk: state.sum === fold && state.ids.join() === evs.map((e) => (e.data as { id: string }).id).join(),
          ids: state.ids,
          n: evs.length,
          sum: fold,
        })
      }
      return out
    }, AGGREGATES)
    expect(report.every((r) => r.versionsOk)).toBe(true)
    expect(report.every((r) => r.foldOk)).toBe(true)
    expect(report.flatMap((r) => r.ids).sort()).toEqual(expectedIds)
    // The projection caught up in this tab's view: one application per event.
    const totals = report.map((r) => ({ id: '', sum: r.sum, count: r.n }))
    await expect
      .poll(
        () =>
          t.evaluate(async (aggregates) => {
            const rows = await db.transaction((tx) => tx.matchObject('totals', {}))
            const by = new Map(rows.map((r) => [r['id'], r]))
            return Array.from({ length: aggregates }, (_, a) => ({ id: '', sum: by.get(`agg-${String(a)}`)?.['sum'] ?? 0, count: by.get(`agg-${String(a)}`)?.['count'] ?? 0 }))
          }, AGGREGATES),
        { timeout: 60_000 },
      )
      .toEqual(totals)
  }
})
