/**
 * The package as a user installs it: `npm pack` the project, make a fresh Vite app in `.tmp/`,
 * install the tarball and Vite into it offline, build it. Used by `package.spec.ts`.
 *
 * Offline installs: `npm ci` and `npm install` keep the tarballs they fetched in npm's cache, but
 * not the registry's metadata (packuments), so `npm install --offline vite` cannot resolve a
 * version range (ENOTCACHED). The app therefore gets a lockfile, made from the project's own
 * (`appLockfile`): every package the tarball and Vite need, at the version, `resolved` URL and
 * integrity the project installed, found the way Node resolves it from the project's tree. Then
 * `npm ci --offline` takes every tarball from the cache by its integrity — no network at all.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { projectRoot } from './browser.js'

/** One entry of a lockfile v3's `packages`. */
interface LockEntry {
  version?: string
  resolved?: string
  integrity?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  optional?: boolean
  dev?: boolean
  devOptional?: boolean
  peer?: boolean
  bin?: Record<string, string>
  [k: string]: unknown
}
interface Lockfile {
  name?: string
  lockfileVersion: number
  packages: Record<string, LockEntry>
}

/** Where Node would find `dep` from the package installed at `from` (a lockfile path). */
function resolveIn(packages: Record<string, LockEntry>, from: string, dep: string): string | undefined {
  let dir = from
  for (;;) {
    const candidate = dir === '' ? `node_modules/${dep}` : `${dir}/node_modules/${dep}`
    if (packages[candidate]) return candidate
    if (dir === '') return undefined
    const cut = dir.lastIndexOf('/node_modules/')
    dir = cut < 0 ? '' : dir.slice(0, cut)
  }
}

/**
 * The lockfile of an app whose dependencies are `deps` (name → the project lockfile's entry to
 * copy, or a ready entry for the tarball): the closure over dependencies, optional dependencies
 * and non-optional peers, with the paths of the project's tree (a subset of a valid tree is one).
 */
export function appLockfile(project: Lockfile, app: { name: string; deps: Record<string, LockEntry | 'from-project'> }): Lockfile {
  const src = project.packages
  const out: Record<string, LockEntry> = {}
  const rootDeps: Record<string, string> = {}
  const queue: string[] = []
  const add = (path: string, entry: LockEntry): void => {
    if (out[path]) return
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = entry
    out[path] = kept
    queue.push(path)
  }
  for (const [name, spec] of Object.entries(app.deps)) {
    const path = `node_modules/${name}`
    const entry = spec === 'from-project' ? src[path] : spec
    if (!entry) throw new Error(`appLockfile: ${name} is not in the project's lockfile`)
    rootDeps[name] = spec === 'from-project' ? String(entry.version) : String(entry.resolved)
    add(path, entry)
  }
  while (queue.length > 0) {
    const path = queue.shift() as string
    const e = out[path] as LockEntry
    const optionalPeer = (d: string): boolean => e.peerDependenciesMeta?.[d]?.optional === true
    const wanted = [
      ...Object.keys(e.dependencies ?? {}),
      ...Object.keys(e.optionalDependencies ?? {}),
      ...Object.keys(e.peerDependencies ?? {}).filter((d) => !optionalPeer(d)),
    ]
    // The tarball's own entry is not in the project's tree: resolve its dependencies from the top.
    const from = src[path] ? path : ''
    for (const dep of wanted) {
      const found = resolveIn(src, from, dep)
      // Missing optional dependencies are other platforms' binaries: npm skips them too.
      if (found && src[found]) add(found, src[found])
    }
  }
  return {
    name: app.name,
    lockfileVersion: 3,
    packages: { '': { name: app.name, dependencies: rootDeps }, ...out },
  }
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${String(r.status ?? r.signal)}):\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/** `npm pack` into `dir` (the `prepack` script builds dist/ first). Returns the tarball's path. */
export function packProject(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const out = run('npm', ['pack', '--json', '--pack-destination', dir], projectRoot)
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[]
  if (!info) throw new Error('npm pack printed no result')
  return join(dir, info.filename)
}

/** The files of the fresh app: a page that opens a database (and joins a room when asked to). */
const APP_FILES: Record<string, string> = {
  'index.html': `<!doctype html>
<html><head><meta charset="utf-8"><title>fresh app</title></head>
<body><pre id="out">loading</pre><script type="module" src="/main.js"></script></body></html>
`,
  'main.js': `import { openDatabase } from 'webnesia'

const out = document.getElementById('out')
try {
  const params = new URLSearchParams(location.search)
  const db = await openDatabase({ name: params.get('db') ?? 'fresh-app' })
  await db.createTable('stock', { attributes: ['sku', 'count'] })
  await db.transaction(async (t) => {
    await t.write('stock', { sku: 'apple', count: 3 })
  })
  const records = await db.transaction((t) => t.read('stock', 'apple'))
  const signal = params.get('join')
  if (signal) await db.join({ room: 'fresh-app', signaling: [signal], peerOpts: { config: { iceServers: [] } } })
  window.result = { ok: true, records, joined: !!signal }
} catch (e) {
  window.result = { ok: false, error: String(e && e.stack ? e.stack : e) }
}
out.textContent = JSON.stringify(window.result)
`,
  // A manifest, so the test can tell the entry's chunks from the lazily loaded ones.
  'vite.config.js': `export default { build: { manifest: true, target: 'es2022' } }\n`,
}

/** Makes the app in `dir` around `tarball` and installs it offline. */
export function installApp(dir: string, tarball: string): void {
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(APP_FILES)) writeFileSync(join(dir, name), text)
  const project = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as Lockfile
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as LockEntry & { name: string }
  const resolved = `file:${tarball}`
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`
  const self: LockEntry = {
    version: pkg.version,
    resolved,
    integrity,
    ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}),
    ...(pkg.bin ? { bin: pkg.bin } : {}),
  }
  const lock = appLockfile(project, { name: 'fresh-app', deps: { [pkg.name]: self, vite: 'from-project' } })
  const rootEntry = lock.packages[''] as LockEntry
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'fresh-app', private: true, type: 'module', dependencies: rootEntry.dependencies }, null, 2),
  )
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2))
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir)
}

/** A free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

/** A child process that prints `pattern` once it is ready; resolves with the match. */
export function startChild(
  cmd: string,
  args: string[],
  cwd: string,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<{ match: RegExpMatchArray; stop: () => void }> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`${cmd} ${args.join(' ')}: not ready after ${String(timeoutMs)} ms:\n${output}`))
    }, timeoutMs)
    const onData = (b: Buffer): void => {
      output += String(b).replace(/\u001b\[[0-9;]*m/g, '')
      const m = output.match(pattern)
      if (m) {
        clearTimeout(timer)
        resolve({ match: m, stop: () => child.kill() })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${cmd} ${args.join(' ')} exited (${String(code)}):\n${output}`))
    })
  })
}
