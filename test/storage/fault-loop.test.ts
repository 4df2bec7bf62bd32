/**
 * The storage fault loop (fault-loop.ts) over fake-indexeddb and over the Node file backend:
 * the Nth storage request of the workload fails, for every N, once, from then on, and once after it landed. Prints the
 * fault points covered.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { fileBackend } from '../../src/backend/file/backend.js'
import { idbBackend } from '../../src/backend/idb.js'
import { faultLoop } from './fault-loop.js'

const dir = mkdtempSync(join(tmpdir(), 'webnesia-faults-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

for (const [label, backend] of [
  ['IndexedDB', idbBackend],
  ['file', fileBackend(dir)],
] as const) {
  it(`${label}: every storage request of the workload fails once and for good: typed errors, nothing lost, nothing partial, memory equals disc`, async () => {
    const s = await faultLoop(backend)
    console.log(`fault loop (${label}): ${String(s.requests)} requests × 3 modes = ${String(s.runs)} runs; typed failures by step: ${JSON.stringify(Object.fromEntries(s.failures))}`)
    expect(s.runs).toBe(3 * s.requests)
    expect(s.failures.size).toBeGreaterThan(0)
  }, 600_000)
}
