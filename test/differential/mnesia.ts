/**
 * Runs a batch of sequences on real Mnesia: one `escript` process for the whole batch (Erlang's
 * start-up, ~0.4 s, is paid once), results parsed back from its canonical JSON lines.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sequenceTerm } from './erlang-terms.js'
import type { Sequence } from './ops.js'

/** One op's outcome, as both sides report it: a result, or an error (its text for humans). */
export type Outcome = { readonly r: unknown } | { readonly e: string }

const RUNNER = fileURLToPath(new URL('./mnesia-runner.escript', import.meta.url))

/**
 * The outcomes of every op of every sequence, in order (`out[i][j]`: op j of sequence i).
 *
 * @throws Error when the escript fails or its output misses a sequence.
 */
export async function runOnMnesia(escript: string, seqs: readonly Sequence[]): Promise<Outcome[][]> {
  const dir = await mkdtemp(join(tmpdir(), 'webnesia-diff-'))
  try {
    const file = join(dir, 'ops.terms')
    await writeFile(file, seqs.map((s, i) => sequenceTerm(s, i)).join(''))
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(escript, [RUNNER, file, join(dir, 'mnesia')], { maxBuffer: 1 << 30, timeout: 600_000 }, (err, out, errOut) => {
        if (err) reject(new Error(`mnesia-runner failed: ${err.message}\n${errOut.slice(0, 4000)}`))
        else resolve(out)
      })
    })
    const out: Outcome[][] = seqs.map(() => [])
    const ended = new Set<number>()
    for (const line of stdout.split('\n')) {
      if (line.startsWith('END ')) {
        ended.add(Number(line.slice(4)))
        continue
      }
      if (!line.startsWith('R ')) continue
      const m = /^R (\d+) (\d+) (.*)$/.exec(line)
      if (!m) throw new Error(`mnesia-runner: bad line ${line.slice(0, 200)}`)
      const list = out[Number(m[1])] as Outcome[]
      if (list.length !== Number(m[2])) throw new Error(`mnesia-runner: out of order at ${line.slice(0, 80)}`)
      list.push(JSON.parse(m[3] as string) as Outcome)
    }
    seqs.forEach((_, i) => {
      if (!ended.has(i)) throw new Error(`mnesia-runner: no END for sequence ${String(i)}`)
    })
    return out
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
