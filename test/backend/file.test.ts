/**
 * The file backend (src/backend/file/): the backend contract over real files, and what only files
 * have — durability across a reopen, a torn log tail cut, compaction, one process per folder.
 */
import { mkdtempSync, readdirSync, appendFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fileBackend, filesClosed } from '../../src/backend/file/backend.js'
import { backendConformance } from './conformance.js'

const root = mkdtempSync(join(tmpdir(), 'webnesia-file-'))
/** A fresh folder for one test, inside `root` (removed after the file's tests). */
const freshDir = (): string => mkdtempSync(join(root, 'case-'))
afterAll(async () => {
  await filesClosed()
  rmSync(root, { recursive: true, force: true })
})
backendConformance('file', { open: (name, create = () => undefined) => fileBackend(root)(name, create) })

describe('file backend: durability', () => {
  it('keeps every committed transaction across a reopen, and nothing of an aborted one', async () => {
    const dir = freshDir()
    const b = fileBackend(dir)('n', (tx) => tx.createStore('s'))
    for (let i = 0; i < 20; i++) {
      const tx = await b.transaction(['s'], 'readwrite', 'strict')
      void tx.store('s').put({ i }, i)
      await tx.done
    }
    const bad = await b.transaction(['s'], 'readwrite', 'strict')
    void bad.store('s').put('x', 'aborted').catch(() => undefined)
    bad.abort()
    await bad.done.catch(() => undefined)
    b.close()
    await filesClosed()
    const again = fileBackend(dir)('n', () => {
      throw new Error('not a fresh node')
    })
    const r = await again.transaction(['s'], 'readonly')
    expect(await r.store('s').count()).toBe(20)
    expect(await r.store('s').get('aborted')).toBeUndefined()
    again.close()
    await filesClosed()
  })

  it('cuts a torn tail off the log (an append a crash cut short) and keeps every whole frame', async () => {
    const dir = freshDir()
    const b = fileBackend(dir)('n', (tx) => tx.createStore('s'))
    const tx = await b.transaction(['s'], 'readwrite', 'strict')
    void tx.store('s').put('kept', 1)
    await tx.done
    b.close()
    await filesClosed()
    const log = join(dir, 'n', 'log-0')
    const size = statSync(log).size
    appendFileSync(log, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6])) // a header promising 200 bytes, 2 given
    const again = fileBackend(dir)('n', () => undefined)
    const r = await again.transaction(['s'], 'readonly')
    expect(await r.store('s').getAll()).toEqual(['kept'])
    expect(statSync(log).size).toBe(size)
    const w = await again.transaction(['s'], 'readwrite', 'strict')
    void w.store('s').put('after', 2)
    await w.done
    again.close()
    await filesClosed()
    const third = fileBackend(dir)('n', () => undefined)
    const r3 = await third.transaction(['s'], 'readonly')
    expect(await r3.store('s').getAll()).toEqual(['kept', 'after'])
    third.close()
    await filesClosed()
  })

  it('compacts a long log into a snapshot, renamed into place, and loads from it', async () => {
    const dir = freshDir()
    const b = fileBackend(dir)('n', (tx) => {
      tx.createStore('s')
      tx.createIndex('s', 'c')
    })
    const big = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 200; i++) {
      const tx = await b.transaction(['s'], 'readwrite', 'relaxed')
      void tx.store('s').put({ c: i % 3, big }, i % 50)
      await tx.done
    }
    await (await b.transaction(['s'], 'readonly')).done // after the compaction that the writes triggered
    expect(readdirSync(join(dir, 'n')).filter((f) => f.startsWith('snap-')).length).toBe(1)
    b.close()
    await filesClosed()
    const again = fileBackend(dir)('n', () => undefined)
    const r = await again.transaction(['s'], 'readonly')
    expect(await r.store('s').count()).toBe(50)
    expect((await r.store('s').indexGetAll('c', 1)).length).toBeGreaterThan(0)
    again.close()
    await filesClosed()
  })
})

describe('file backend: one process per folder', () => {
  afterAll(async () => (await import('./compiled.js')).removeCompiledLib())
  it('refuses a folder another live process holds (typed "locked"), and takes over one whose holder was killed', async () => {
    const { spawn } = await import('node:child_process')
    const { compiledLib } = await import('./compiled.js')
    const lib = await compiledLib()
    const dir = freshDir()
    const child = spawn(process.execPath, [join(import.meta.dirname, 'lock-child.mjs'), lib, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('open')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`child exited ${String(code)}`)))
    })
    const b = fileBackend(dir)('n', () => undefined)
    await expect(b.storeNames()).rejects.toMatchObject({ name: 'WebnesiaError', code: 'locked' })
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
    const again = fileBackend(dir)('n', () => undefined)
    expect(await again.storeNames()).toEqual(['s'])
    again.close()
    await filesClosed()
  }, 120_000)
})
