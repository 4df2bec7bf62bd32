/**
 * Crash safety of an edge node (issue 19): a child process commits in a loop and is killed with
 * SIGKILL at a random moment, again and again. After every kill the node opens, holds every
 * acknowledged commit, and no partial transaction (each writes one record to each of two tables).
 * `npm test` runs a few kills; `WEBNESIA_KILLS=200 npm run test:soak` the long loop.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { openDatabase } from '../../src/index.js'
import { filesClosed } from '../../src/backend/file/backend.js'
import { compiledLib, removeCompiledLib } from './compiled.js'

const KILLS = Number(process.env['WEBNESIA_KILLS'] ?? 8)
afterAll(removeCompiledLib)

/** Runs the child until it has acknowledged a random number of commits, then SIGKILLs it. */
async function runAndKill(lib: string, dir: string, from: number, seed: number): Promise<number> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'crash-child.mjs'), lib, dir, String(from)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const killAfter = 1 + (seed % 40)
  let acked = -1
  let buf = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) {
        if (l.startsWith('ack ')) acked = Math.max(acked, Number(l.slice(4)))
        if (acked >= from + killAfter - 1) {
          child.kill('SIGKILL')
          resolve()
        }
      }
    })
    void exited.then(() => reject(new Error('the child exited before it was killed')))
  }).catch((e: unknown) => {
    if (acked < from + killAfter - 1) throw e
  })
  await exited
  return acked
}

it(`an edge node killed with SIGKILL ${String(KILLS)} times loses no acknowledged commit and keeps no partial transaction`, async () => {
  const lib = await compiledLib()
  const dir = mkdtempSync(join(tmpdir(), 'webnesia-crash-'))
  let next = 0
  let acked = -1
  for (let kill = 0; kill < KILLS; kill++) {
    acked = Math.max(acked, await runAndKill(lib, dir, next, kill * 7919 + 13))
    const db = await openDatabase({ name: 'crash', dir })
    const a = (await db.dirtyAllKeys('a')) as number[]
    const b = (await db.dirtyAllKeys('b')) as number[]
    expect(a).toEqual(b) // no partial transaction
    expect(a.length).toBeGreaterThan(acked) // keys 0..acked (and maybe one unacknowledged commit more)
    expect(a.slice(0, acked + 1)).toEqual([...Array(acked + 1).keys()])
    next = a.length
    await db.close()
    await filesClosed()
  }
  rmSync(dir, { recursive: true, force: true })
}, 600_000)
