#!/usr/bin/env node
/**
 * What an application ships: bundles a one-file app that uses only `openDatabase` + `transaction`
 * with Vite (production build, minified, the library as users get it: `dist/`, built first) and
 * measures
 *   - the core: the entry chunk and every chunk it imports statically (what the page loads), and
 *   - the replication chunk(s): what `db.join` loads with its dynamic `import()` (yjs, y-webrtc, lib0),
 *   - the other lazy chunks: what the core loads on first use (query operations, sorted-btree for
 *     ordered_set tables, the saga engine, the event store, live queries, ...),
 * each minified and minified + gzip (zlib level 9, as bundle-size tools report it). Modules that
 * must stay out of the core ({@link LAZY}) are checked: the run fails when one is in it.
 *
 *   npm run bench:bundle            measure, print, and write the "Bundle size" section of BENCHMARKS.md
 *   node bench/bundle.mjs --no-write
 *
 * `bench/run.mjs` (`npm run bench`) calls {@link measureBundle} too and puts the same section in
 * the BENCHMARKS.md it writes. The budget for the core is 30 kB min + gzip (issue 15).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The core budget, bytes of min + gzip. */
export const CORE_BUDGET = 30_000

/** Modules loaded on first use only (dynamic imports): none of them may be in the core. */
export const LAZY = [
  /node_modules\/(yjs|y-webrtc|lib0|sorted-btree|dequal)\//,
  /dist\/query\/(ops|match-spec|pattern|expr|executor|planner)\.js$/,
  /dist\/saga\/(engine|runner|claim|host)\.js$/,
  /dist\/primary\/(primary|forward|serve|queue|messages)\.js$/,
  /dist\/replication\/(session|replicator|codec)\.js$/,
  /dist\/eventstore\/(engine|store|aggregate|projection|subscription|ingest|tables|signal)\.js$/,
  /dist\/live\/runner\.js$/,
  /dist\/txn\/observe\.js$/,
]

/** The app: nothing but opening a database and one transaction. */
const APP = `import { openDatabase } from 'webnesia'
const db = await openDatabase({ name: 'bundle-size' })
await db.createTable('t', { attributes: ['k', 'v'] })
await db.transaction(async (t) => {
  await t.write('t', { k: 1, v: 'one' })
  return t.read('t', 1)
})
`

const gz = (code) => gzipSync(code, { level: 9 }).length

/**
 * Builds `dist/` (unless `opts.skipLibBuild`), bundles the app and returns the sizes in bytes,
 * plus the biggest modules of the core (by rendered minified length, before gzip).
 */
export async function measureBundle(opts = {}) {
  if (!opts.skipLibBuild) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  const dir = `${root}.tmp/bundle-size/`
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}main.js`, APP)
  const { build } = await import('vite')
  const out = await build({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: { webnesia: `${root}dist/index.js` } },
    build: {
      write: false,
      target: 'es2022',
      minify: true,
      modulePreload: false,
      rolldownOptions: { input: `${dir}main.js` },
    },
  })
  rmSync(dir, { recursive: true, force: true })
  const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((c) => c.type === 'chunk')
  const byName = new Map(chunks.map((c) => [c.fileName, c]))
  const entry = chunks.find((c) => c.isEntry)
  if (!entry) throw new Error('bundle: no entry chunk')
  const core = new Set()
  const walk = (c) => {
    if (core.has(c.fileName)) return
    core.add(c.fileName)
    for (const i of c.imports) walk(byName.get(i))
  }
  walk(entry)
  const lazy = chunks.filter((c) => !core.has(c.fileName))
  // What `db.join` loads: the closure of its dynamic entries (the session, primary tables).
  const repl = new Set()
  const pull = (c) => {
    if (!c || core.has(c.fileName) || repl.has(c.fileName)) return
    repl.add(c.fileName)
    for (const i of [...c.imports, ...c.dynamicImports]) pull(byName.get(i))
  }
  for (const c of chunks) if (c.isDynamicEntry && /dist\/(replication\/session|primary\/primary)\.js$/.test(c.facadeModuleId ?? '')) pull(c)
  const isRepl = (c) => repl.has(c.fileName)
  const short = (id) => id.replace(root, '').replace(/^.*node_modules\//, '')
  const size = (list) => ({
    files: list.map((c) => c.fileName),
    min: list.reduce((n, c) => n + Buffer.byteLength(c.code), 0),
    gzip: list.reduce((n, c) => n + gz(c.code), 0),
  })
  const coreChunks = chunks.filter((c) => core.has(c.fileName))
  const modules = coreChunks
    .flatMap((c) => Object.entries(c.modules))
    .map(([id, m]) => ({ id: id.replace(root, '').replace(/^.*node_modules\//, ''), bytes: m.renderedLength }))
    .sort((a, b) => b.bytes - a.bytes)
  const yjsInCore = coreChunks.some((c) => Object.keys(c.modules).some((id) => /node_modules\/(yjs|y-webrtc|lib0)\//.test(id)))
  const lazyInCore = [...new Set(coreChunks.flatMap((c) => Object.keys(c.modules)).filter((id) => LAZY.some((re) => re.test(id))).map(short))]
  const onUse = lazy.filter((c) => !isRepl(c))
  return {
    core: size(coreChunks),
    replication: size(lazy.filter(isRepl)),
    onFirstUse: { ...size(onUse), modules: onUse.flatMap((c) => Object.keys(c.modules)).map(short).filter((id) => id.startsWith('dist/') || !id.includes('/')) },
    yjsInCore,
    lazyInCore,
    topModules: modules.slice(0, 12),
    vite: JSON.parse(readFileSync(`${root}node_modules/vite/package.json`, 'utf8')).version,
  }
}

const kB = (n) => `${(n / 1000).toFixed(1)} kB`

/** The "Bundle size" section of BENCHMARKS.md (markdown lines, heading included). */
export function bundleSection(m) {
  const ok = m.core.gzip <= CORE_BUDGET
  return [
    '## Bundle size',
    '',
    `An app using only \`openDatabase\` + \`transaction\` (\`bench/bundle.mjs\`), bundled by Vite ${m.vite} from \`dist/\` (minified; gzip level 9).`,
    '',
    '| part | min | min + gzip | budget | verdict |',
    '|---|---|---|---|---|',
    `| core (entry + its static imports) | ${kB(m.core.min)} | ${kB(m.core.gzip)} | ≤ ${kB(CORE_BUDGET)} | ${ok ? 'PASS' : 'MISS'} |`,
    `| replication chunk, loaded by \`db.join\` only (yjs, y-webrtc, lib0) | ${kB(m.replication.min)} | ${kB(m.replication.gzip)} | info | — |`,
    `| chunks loaded on first use (queries, sorted-btree, sagas, …; ${m.onFirstUse.files.length} files) | ${kB(m.onFirstUse.min)} | ${kB(m.onFirstUse.gzip)} | info | — |`,
    '',
    `yjs / y-webrtc / lib0 in the core: ${m.yjsInCore ? '**yes** (a static import crept in)' : 'no'}. Modules meant to load on first use found in the core: ${m.lazyInCore.length ? m.lazyInCore.map((x) => `\`${x}\``).join(', ') : 'none'}.`,
    '',
    `Biggest modules of the core (rendered, before minification and gzip): ${m.topModules.map((x) => `\`${x.id}\` ${kB(x.bytes)}`).join(', ')}.`,
    '',
  ]
}

/** Replaces (or appends) the "## Bundle size" section of a BENCHMARKS.md text. */
export function withBundleSection(markdown, section) {
  const start = markdown.indexOf('\n## Bundle size\n')
  if (start < 0) return markdown.replace(/\n*$/, '\n\n') + section.join('\n')
  const next = markdown.indexOf('\n## ', start + 1)
  return markdown.slice(0, start + 1) + section.join('\n') + (next < 0 ? '' : markdown.slice(next + 1))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const m = await measureBundle()
  const section = bundleSection(m)
  console.log(section.join('\n'))
  if (!process.argv.includes('--no-write')) {
    const file = `${root}BENCHMARKS.md`
    writeFileSync(file, withBundleSection(readFileSync(file, 'utf8'), section))
    console.log('wrote the "Bundle size" section of BENCHMARKS.md')
  }
  if (m.yjsInCore || m.lazyInCore.length > 0) process.exitCode = 1
}
