/**
 * The docs' code examples are executed, so they cannot rot (issue 15, item 5): every ```ts block of
 * the files in DOCS runs in Node (fake-indexeddb, as every unit test) as a module of its own,
 * `from 'webnesia'` pointing at src/index.ts. Its `db.join` talks to a real signaling server on
 * 127.0.0.1 started here (`ws://127.0.0.1:4444` in the text becomes its URL), through `ws` as the
 * global WebSocket (Node 20 has none); alone in its room, the node needs no WebRTC connection.
 *
 * A block may be left out only with a marker on the line before its fence,
 * `<!-- example: not run — <reason> -->`; each one left out is a test of its own that checks the
 * reason is given, so none is skipped silently. (None is left out today.)
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSignalingServer, type SignalingServer } from '../../bin/webnesia-signal.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
/** The documents whose examples run. */
const DOCS = ['README.md', 'ARCHITECTURE.md']
const tmp = `${root}.tmp/examples-${String(process.pid)}/`

interface Block {
  file: string
  line: number
  code: string
  /** Set when the block is marked `<!-- example: not run — reason -->`. */
  excluded?: string
}

/** The ```ts / ```typescript blocks of a markdown text, with the line of their fence. */
export function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i] ?? '')) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '')
    const marker = /^<!--\s*example:\s*not run\s*(?:—|-|:)?\s*(.*?)\s*-->\s*$/.exec(lines[start - 1] ?? '')
    blocks.push({ file, line: start + 1, code: body.join('\n'), ...(marker ? { excluded: marker[1] ?? '' } : {}) })
  }
  return blocks
}

/** Where a block is written to run (inside `.tmp/`, two levels below the root: `../../src` works). */
const fileOf = (b: Block): string => `${tmp}${b.file.replace(/\W/g, '_')}-${String(b.line)}.ts`

const blocks = DOCS.flatMap((f) => extractBlocks(f, readFileSync(`${root}${f}`, 'utf8')))

let signal: SignalingServer
beforeAll(async () => {
  signal = await startSignalingServer({ port: 0 })
  mkdirSync(tmp, { recursive: true })
  ;(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket
})
afterAll(async () => {
  await signal.close()
  rmSync(tmp, { recursive: true, force: true })
})

it('the README has examples to run', () => {
  expect(blocks.filter((b) => b.file === 'README.md' && b.excluded === undefined).length).toBeGreaterThan(0)
})

describe.each(blocks.map((b) => [`${b.file}:${String(b.line)}`, b] as const))('%s', (_where, block) => {
  const reason = block.excluded
  if (reason !== undefined) {
    it('is left out with a reason', () => {
      expect(reason.length, 'a block left out says why').toBeGreaterThan(10)
    })
    return
  }
  it('runs', async () => {
    const url = `ws://127.0.0.1:${String(signal.port)}`
    const code = block.code
      .replace(/from 'webnesia'/g, "from '../../src/index.js'")
      .replaceAll('ws://127.0.0.1:4444', url)
    const declaresDb = /^(const|let) db\b/m.test(code)
    // Watch the rooms the example joins: y-webrtc announces itself in each.
    const rooms = [...code.matchAll(/room:\s*'([^']+)'/g)].map((m) => m[1] as string)
    const watcher = new WebSocket(url)
    const announced = new Promise<unknown>((resolve) => watcher.on('message', (raw: Buffer) => resolve(JSON.parse(String(raw)))))
    await new Promise((r) => watcher.once('open', r))
    watcher.send(JSON.stringify({ type: 'subscribe', topics: rooms }))
    watcher.send(JSON.stringify({ type: 'ping' }))
    expect(await announced).toEqual({ type: 'pong' })
    const heard = rooms.length > 0 ? new Promise<unknown>((resolve) => watcher.on('message', (raw: Buffer) => resolve(JSON.parse(String(raw))))) : null

    const file = fileOf(block)
    writeFileSync(file, `${code}\n${declaresDb ? 'export { db as __db }\n' : ''}`)
    const mod = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { __db?: { close(): Promise<void> } }
    try {
      if (heard) expect(await heard).toMatchObject({ type: 'publish', topic: rooms[0] })
    } finally {
      watcher.close()
      await mod.__db?.close()
    }
  })
})

it('the examples typecheck against the public types (strict, as an app would compile them)', () => {
  const runnable = blocks.filter((b) => b.excluded === undefined)
  for (const b of runnable) writeFileSync(fileOf(b), `${b.code.replace(/from 'webnesia'/g, "from '../../src/index.js'")}\nexport {}\n`)
  writeFileSync(
    `${tmp}tsconfig.json`,
    JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noUnusedLocals: false }, include: runnable.map((b) => fileOf(b)) }),
  )
  const r = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${tmp}tsconfig.json`, '--noEmit'], { encoding: 'utf8' })
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
}, 180_000)
