#!/usr/bin/env node
/**
 * The Node row of the benchmarks (issue 19): P2 / P3 / P4 / P5 on the Node file backend
 * (`openDatabase({ name, dir })`, src/backend/file/) beside better-sqlite3 12 doing the same
 * writes with the same durability (journal_mode=WAL, synchronous=FULL: every commit fsynced).
 *
 *   P2  sequential 1-record transactions, each awaited: mean ms per transaction
 *   P3  bursts of 100 1-record transactions: webnesia starts them together (one group commit);
 *       SQLite, synchronous, runs them one after the other (`sqlite.sequentialTps`) and, as the
 *       ceiling of a group commit, as one transaction per burst (`sqlite.burstInOneTxTps`)
 *   P4  one transaction writing 10k records: ms
 *   P5  cold load of a 100k-record table: close, open again in the same process, read a record
 *       (webnesia loads a disc_copies table into memory; SQLite reads every row likewise)
 *
 *   node bench/node.mjs [--quick] [--reps=N] [--no-write]
 *
 * Prints the figures; without --no-write it replaces the "Node" section of BENCHMARKS.md.
 * `bench/run.mjs` (`npm run bench`) calls {@link measureNode} and {@link nodeSection} too.
 * better-sqlite3 is not a dependency of the project (it compiles SQLite on install where no
 * prebuilt binary can be fetched, minutes): the first run installs it into .tmp/bench-node-deps
 * with npm. When that fails, the SQLite figures say why and the webnesia ones are still measured.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const rec = (i) => ({ id: i, name: `item ${String(i % 97)}`, price: i * 0.5 })

/** Where the bench installs better-sqlite3 when the project has none (kept out of `npm ci`: it compiles SQLite). */
const depsDir = join(root, '.tmp', 'bench-node-deps')
const SQLITE_SPEC = 'better-sqlite3@^12.4.1'

/** better-sqlite3 (installed into {@link depsDir} on first use), or null with the reason. */
function loadSqlite() {
  const tryLoad = (base) => {
    const require = createRequire(base)
    return { Database: require('better-sqlite3'), version: require('better-sqlite3/package.json').version }
  }
  try {
    return tryLoad(import.meta.url)
  } catch {
    // not a dependency of the project
  }
  const local = join(depsDir, 'package.json')
  try {
    return tryLoad(local)
  } catch {
    // not installed yet
  }
  try {
    mkdirSync(depsDir, { recursive: true })
    if (!existsSync(local)) writeFileSync(local, '{ "name": "bench-node-deps", "private": true }\n')
    console.log(`installing ${SQLITE_SPEC} into .tmp/bench-node-deps (it builds SQLite from source where no prebuilt binary can be fetched: minutes)`)
    execFileSync('npm', ['install', SQLITE_SPEC, '--no-audit', '--no-fund'], { cwd: depsDir, stdio: 'inherit' })
    return tryLoad(local)
  } catch (e) {
    return { Database: null, reason: String(e?.message ?? e).split('\n')[0] }
  }
}

function openSqlite(Database, file) {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, name TEXT, price REAL)')
  const put = db.prepare('INSERT OR REPLACE INTO item (id, name, price) VALUES (@id, @name, @price)')
  return { db, put, one: db.transaction((r) => put.run(r)), many: db.transaction((rs) => { for (const r of rs) put.run(r) }) }
}

/**
 * Runs the workloads; returns `{ meta, rows }`, each row `{ w, name, value, unit }`.
 * @param {{ quick?: boolean, reps?: number, skipLibBuild?: boolean }} opts
 */
export async function measureNode(opts = {}) {
  const quick = opts.quick ?? false
  const reps = opts.reps ?? (quick ? 2 : 5)
  const S = quick ? { p2: 100, p3: 3, p4: 10_000, p5: 20_000 } : { p2: 300, p3: 10, p4: 10_000, p5: 100_000 }
  if (!opts.skipLibBuild) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  const { openDatabase } = await import(pathToFileURL(join(root, 'dist/index.js')).href)
  const sqlite = loadSqlite()
  const dir = mkdtempSync(join(tmpdir(), 'webnesia-bench-node-'))
  let n = 0
  const fresh = () => `b${String(++n)}`
  const wOpen = async (name) => {
    const db = await openDatabase({ name, dir })
    if (!db.systemInfo('tables').includes('item')) await db.createTable('item', { attributes: ['id', 'name', 'price'] })
    return db
  }
  const sOpen = () => openSqlite(sqlite.Database, join(dir, `${fresh()}.sqlite`))
  const out = new Map()
  const add = (w, name, value, unit) => {
    const k = `${w}\u0000${name}`
    if (!out.has(k)) out.set(k, { w, name, unit, values: [] })
    out.get(k).values.push(value)
  }
  try {
    for (let rep = 0; rep <= reps; rep++) {
      const keep = rep > 0 // the first repetition warms up
      // P2: sequential 1-record transactions.
      {
        const db = await wOpen(fresh())
        let t0 = performance.now()
        for (let i = 0; i < S.p2; i++) await db.transaction((t) => t.write('item', rec(i)))
        if (keep) add('P2', 'webnesia.txn', (performance.now() - t0) / S.p2, 'ms/txn')
        await db.close()
        if (sqlite.Database) {
          const s = sOpen()
          t0 = performance.now()
          for (let i = 0; i < S.p2; i++) s.one(rec(i))
          if (keep) add('P2', 'sqlite.txn', (performance.now() - t0) / S.p2, 'ms/txn')
          s.db.close()
        }
      }
      // P3: bursts of 100 1-record transactions.
      {
        const db = await wOpen(fresh())
        let t0 = performance.now()
        for (let b = 0; b < S.p3; b++) await Promise.all(Array.from({ length: 100 }, (_, i) => db.transaction((t) => t.write('item', rec(b * 100 + i)))))
        if (keep) add('P3', 'webnesia.concurrentTps', (S.p3 * 100) / ((performance.now() - t0) / 1000), 'txn/s')
        await db.close()
        if (sqlite.Database) {
          const s = sOpen()
          t0 = performance.now()
          for (let b = 0; b < S.p3; b++) for (let i = 0; i < 100; i++) s.one(rec(b * 100 + i))
          if (keep) add('P3', 'sqlite.sequentialTps', (S.p3 * 100) / ((performance.now() - t0) / 1000), 'txn/s')
          t0 = performance.now()
          for (let b = 0; b < S.p3; b++) s.many(Array.from({ length: 100 }, (_, i) => rec(b * 100 + i)))
          if (keep) add('P3', 'sqlite.burstInOneTxTps', (S.p3 * 100) / ((performance.now() - t0) / 1000), 'txn/s')
          s.db.close()
        }
      }
      // P4: one transaction of many records.
      {
        const db = await wOpen(fresh())
        let t0 = performance.now()
        await db.transaction(async (t) => {
          for (let i = 0; i < S.p4; i++) await t.write('item', rec(i))
        })
        if (keep) add('P4', 'webnesia.txn', performance.now() - t0, 'ms')
        await db.close()
        if (sqlite.Database) {
          const s = sOpen()
          const rows = Array.from({ length: S.p4 }, (_, i) => rec(i))
          t0 = performance.now()
          s.many(rows)
          if (keep) add('P4', 'sqlite.oneTx', performance.now() - t0, 'ms')
          s.db.close()
        }
      }
    }
    // P5: cold load of a large table (built once; each repetition reopens).
    {
      const name = fresh()
      const db = await wOpen(name)
      for (let i = 0; i < S.p5; i += 10_000) {
        await db.transaction(async (t) => {
          for (let j = i; j < Math.min(S.p5, i + 10_000); j++) await t.write('item', rec(j))
        })
      }
      await db.dumpLog()
      await db.close()
      const file = join(dir, 'p5.sqlite')
      if (sqlite.Database) {
        const s = openSqlite(sqlite.Database, file)
        s.many(Array.from({ length: S.p5 }, (_, i) => rec(i)))
        s.db.close()
      }
      for (let rep = 0; rep <= reps; rep++) {
        let t0 = performance.now()
        const d = await openDatabase({ name, dir })
        const r = await d.dirtyRead('item', S.p5 - 1)
        if (r.length !== 1) throw new Error('P5: the table did not load')
        if (rep > 0) add('P5', 'webnesia.open', performance.now() - t0, 'ms')
        await d.close()
        if (sqlite.Database) {
          t0 = performance.now()
          const s = openSqlite(sqlite.Database, file)
          const rows = s.db.prepare('SELECT id, name, price FROM item').all()
          if (rows.length !== S.p5) throw new Error('P5: SQLite rows missing')
          if (rep > 0) add('P5', 'sqlite.openReadAll', performance.now() - t0, 'ms')
          s.db.close()
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const rows = [...out.values()].map((r) => ({ w: r.w, name: r.name, unit: r.unit, value: median(r.values) }))
  const meta = { node: process.version, sqlite: sqlite.Database ? `better-sqlite3 ${sqlite.version}` : `not installed (${sqlite.reason})`, reps, sizes: S, quick }
  return { meta, rows, ratios: ratios(rows) }
}

/** webnesia ÷ SQLite per workload (time ratios: > 1 is slower; throughput ratios: < 1 is slower). */
function ratios(rows) {
  const v = (w, name) => rows.find((r) => r.w === w && r.name === name)?.value
  const out = []
  const pair = (w, a, b, what) => {
    const x = v(w, a)
    const y = v(w, b)
    if (x !== undefined && y !== undefined) out.push({ w, label: `${a} ÷ ${b}`, value: x / y, what })
  }
  pair('P2', 'webnesia.txn', 'sqlite.txn', 'time per transaction (> 1: webnesia slower)')
  pair('P3', 'webnesia.concurrentTps', 'sqlite.sequentialTps', 'throughput (> 1: webnesia faster)')
  pair('P3', 'webnesia.concurrentTps', 'sqlite.burstInOneTxTps', 'throughput (> 1: webnesia faster)')
  pair('P4', 'webnesia.txn', 'sqlite.oneTx', 'time (> 1: webnesia slower)')
  pair('P5', 'webnesia.open', 'sqlite.openReadAll', 'time (> 1: webnesia slower)')
  return out
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

/** The "Node" section of BENCHMARKS.md (lines). */
export function nodeSection(r) {
  return [
    '## Node (file backend beside SQLite)',
    '',
    `P2–P5 on Node ${r.meta.node}: webnesia's file backend (\`openDatabase({ name, dir })\`: an fsynced, checksummed commit log plus table dumps) beside ${r.meta.sqlite} with \`journal_mode=WAL\`, \`synchronous=FULL\` (every commit fsynced, as webnesia's). Medians of ${String(r.meta.reps)} repetitions after a warm-up; sizes ${JSON.stringify(r.meta.sizes)}. P3: webnesia starts each burst of 100 transactions together (one group commit); better-sqlite3 is synchronous, so its bursts run one commit after another (\`sequentialTps\`) or as one transaction (\`burstInOneTxTps\`, the ceiling of a group commit). P5 reopens in the same process (OS page cache warm) and reads one record; SQLite opens and reads every row (webnesia loads a disc_copies table whole). \`node bench/node.mjs\` measures this section alone.`,
    '',
    '| workload | figure | value | unit |',
    '| --- | --- | ---: | --- |',
    ...r.rows.map((x) => `| ${x.w} | \`${x.name}\` | ${fmt(x.value)} | ${x.unit} |`),
    '',
    '| workload | ratio | value | reads |',
    '| --- | --- | ---: | --- |',
    ...r.ratios.map((q) => `| ${q.w} | ${q.label} | ${fmt(q.value)}× | ${q.what} |`),
    '',
  ]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2)
  const repsArg = argv.find((a) => a.startsWith('--reps='))
  const r = await measureNode({ quick: argv.includes('--quick'), reps: repsArg ? Number(repsArg.slice(7)) : undefined })
  const lines = nodeSection(r)
  console.log(lines.join('\n'))
  if (!argv.includes('--no-write')) {
    const file = join(root, 'BENCHMARKS.md')
    const md = readFileSync(file, 'utf8')
    const start = md.indexOf('## Node (file backend beside SQLite)')
    let next = start < 0 ? -1 : md.indexOf('\n## ', start + 1)
    if (next >= 0) next += 1
    const updated = start < 0 ? `${md.trimEnd()}\n\n${lines.join('\n')}` : `${md.slice(0, start)}${lines.join('\n')}${next >= 0 ? `\n${md.slice(next)}` : ''}`
    writeFileSync(file, updated.endsWith('\n') ? updated : `${updated}\n`)
    console.log('wrote the Node section of BENCHMARKS.md')
  }
}
