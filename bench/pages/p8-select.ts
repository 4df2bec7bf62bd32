/**
 * P8: selects that an index or a key range answers, against the same query answered by a full
 * scan, on one table of `records` records (loaded once per run: the queries do not write).
 *
 * - `items` (set): `grp` is indexed, `grp2` holds the same values unindexed;
 *   select {grp: v} (index) vs select {grp2: v} (scan).
 * - `ord` (ordered_set, key [grp, id]): select {k: [v, '_']} (key-prefix range) vs select
 *   {g: v} on the unindexed copy of grp (scan).
 * Figures are milliseconds per query; every pair returns the same records (checked).
 */
import { openDatabase, type Database } from '../../src/index.js'
import { check, dropLib, fillLib, items, now, profileEnd, profileStart, randomKeys, uniqueName } from './common.js'

let state: { db: Database; records: number; groups: number } | null = null

export async function p8Setup(p: { records: number; groups: number }): Promise<Record<string, number>> {
  const db = await openDatabase({ name: uniqueName('p8') })
  await db.createTable('items', {
    attributes: ['id', 'name', 'email', 'age', 'score', 'tags', 'grp', 'grp2'],
    storage: 'disc_copies',
    index: ['grp'],
  })
  await db.createTable('ord', {
    attributes: ['k', 'name', 'email', 'age', 'score', 'tags', 'g'],
    type: 'ordered_set',
    storage: 'disc_copies',
  })
  const recs = items(p.records, p.groups)
  const t0 = now()
  await fillLib(db, 'items', recs.map((r) => ({ ...r, grp2: r.grp })))
  const t1 = now()
  await fillLib(
    db,
    'ord',
    recs.map(({ id, grp, ...rest }) => ({ ...rest, k: [grp, id], g: grp })),
  )
  const t2 = now()
  state = { db, records: p.records, groups: p.groups }
  return { fillItemsMs: t1 - t0, fillOrdMs: t2 - t1 }
}

async function perQuery(label: string, values: readonly number[], q: (v: number) => Promise<unknown[]>): Promise<{ ms: number; rows: number[] }> {
  const rows: number[] = []
  profileStart(label)
  const t0 = now()
  for (const v of values) rows.push((await q(v)).length)
  const ms = (now() - t0) / values.length
  profileEnd(label)
  return { ms, rows }
}

export async function p8(p: { fastQueries: number; scanQueries: number; rep: number }): Promise<Record<string, number>> {
  check(state !== null, 'p8Setup ran')
  const { db, groups } = state
  const all = `$_`
  const fast = randomKeys(p.fastQueries, groups, 100 + p.rep)
  const slow = fast.slice(0, p.scanQueries)
  const idx = await perQuery('P8 lib.indexed', fast, (v) => db.dirtySelect('items', [[{ grp: v }, [], [all]]]))
  const noIdx = await perQuery('P8 lib.unindexed', slow, (v) => db.dirtySelect('items', [[{ grp2: v }, [], [all]]]))
  const range = await perQuery('P8 lib.prefixRange', fast, (v) => db.dirtySelect('ord', [[{ k: [v, '_'] }, [], [all]]]))
  const scan = await perQuery('P8 lib.fullScan', slow, (v) => db.dirtySelect('ord', [[{ g: v }, [], [all]]]))
  for (let i = 0; i < slow.length; i++) {
    check(idx.rows[i] === noIdx.rows[i] && (idx.rows[i] ?? 0) > 0, `indexed and unindexed selects agree (${String(idx.rows[i])} vs ${String(noIdx.rows[i])})`)
    check(range.rows[i] === scan.rows[i] && range.rows[i] === idx.rows[i], `range and scan selects agree (${String(range.rows[i])} vs ${String(scan.rows[i])})`)
  }
  return {
    'lib.indexed': idx.ms,
    'lib.unindexed': noIdx.ms,
    'lib.prefixRange': range.ms,
    'lib.fullScan': scan.ms,
    rowsPerQuery: idx.rows.reduce((a, b) => a + b, 0) / idx.rows.length,
  }
}

export async function p8Teardown(): Promise<void> {
  if (!state) return
  const db = state.db
  state = null
  await dropLib(db)
}
