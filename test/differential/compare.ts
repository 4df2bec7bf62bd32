/**
 * Comparing the two systems op by op, and shrinking a difference to a minimal sequence.
 *
 * Results whose order is unspecified in one of the systems (see `ops.ts`) are compared as
 * multisets; everything else exactly, in the canonical JSON both runners print. Two errors are
 * equal whatever their reasons (the reasons are shown in reports), except that a webnesia error
 * that is not a `WebnesiaError` is always a difference.
 *
 * Shrinking is by deletion (ddmin-like): remove chunks of ops, then single ops, then ops inside
 * transactions, keeping any candidate that still differs; every round's candidates run in ONE
 * escript batch.
 *
 * @module
 */
import { runOnMnesia, type Outcome } from './mnesia.js'
import { countOps, KNOWN_DIFFERENCES, tableOf, type Op, type Sequence, type TableSpec } from './ops.js'
import { runOnWebnesia } from './webnesia.js'

/** Stable JSON (object keys sorted) for equality and sorting. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

function sorted(v: unknown): unknown {
  if (!Array.isArray(v)) return v
  const xs: unknown[] = [...(v as unknown[])]
  return xs.sort((a, b) => (stable(a) < stable(b) ? -1 : stable(a) > stable(b) ? 1 : 0))
}

const ground = (p: unknown): boolean =>
  Array.isArray(p) ? p.every(ground) : !(typeof p === 'string' && (p === '_' || /^\$\d+$/.test(p)))

/** Mnesia answers a match_object through an index: key not ground, an indexed attribute ground. */
function viaIndex(t: TableSpec, pattern: Readonly<Record<string, unknown>>): boolean {
  const key = pattern[t.attributes[0] as string]
  return (key === undefined || !ground(key)) && t.index.some((a) => pattern[a] !== undefined && ground(pattern[a]))
}

/** True when the op's result list has no specified order in one of the systems. */
function unordered(seq: Sequence, o: Op): boolean {
  if (!('tab' in o)) return false
  const t = tableOf(seq, o.tab)
  const type = t.type
  switch (o.op) {
    case 'read':
      return type === 'bag'
    case 'index_read':
      return type !== 'ordered_set' || KNOWN_DIFFERENCES.has('index-read-ordered-set-order')
    case 'index_match_object':
      // Mnesia: reverse key order on an ordered_set (MNESIA_INCONSISTENT).
      return true
    case 'match_object':
      return type !== 'ordered_set' || viaIndex(t, o.pattern)
    case 'select':
    case 'select_chunked':
    case 'all_keys':
    case 'walk_fwd':
    case 'walk_bwd':
    case 'fold':
      return type !== 'ordered_set'
    default:
      return false
  }
}

function normalize(seq: Sequence, o: Op, out: Outcome): string {
  if ('e' in out) return out.e.startsWith('NOT A WebnesiaError') ? `BUG ${out.e}` : 'error'
  if (o.op === 'txn') {
    const tx = out.r as { tx: string; reason: unknown; ops: Outcome[] }
    const inner = tx.ops.map((x, i) => normalize(seq, o.ops[i] as Op, x))
    return stable({ tx: tx.tx, reason: tx.reason, ops: inner })
  }
  return stable(unordered(seq, o) ? sorted(out.r) : out.r)
}

/** The first op where the two systems differ. */
export interface Difference {
  readonly index: number
  readonly op: Op
  readonly mnesia: Outcome | undefined
  readonly webnesia: Outcome | undefined
}

function differs(seq: Sequence, i: number, m: Outcome | undefined, w: Outcome | undefined): boolean {
  const o = seq.ops[i] as Op
  return m === undefined || w === undefined || normalize(seq, o, m) !== normalize(seq, o, w)
}

/** Runs `seq` on webnesia against Mnesia's outcomes, up to the first difference. */
async function compareOne(seq: Sequence, mnesia: readonly Outcome[]): Promise<Difference | undefined> {
  const w = await runOnWebnesia(seq, (i, out) => differs(seq, i, mnesia[i], out))
  const i = w.findIndex((out, j) => differs(seq, j, mnesia[j], out))
  if (i < 0) return undefined
  return { index: i, op: seq.ops[i] as Op, mnesia: mnesia[i], webnesia: w[i] }
}

/** Runs sequences on both systems; the difference of each (undefined where they agree). */
export async function compareAll(escript: string, seqs: readonly Sequence[]): Promise<(Difference | undefined)[]> {
  const mn = await runOnMnesia(escript, seqs)
  const out: (Difference | undefined)[] = []
  for (let i = 0; i < seqs.length; i++) out.push(await compareOne(seqs[i] as Sequence, mn[i] as Outcome[]))
  return out
}

/** The first of `seqs` that differs (Mnesia's side in one batch), with its difference. */
async function firstDiffering(escript: string, seqs: readonly Sequence[]): Promise<{ seq: Sequence; diff: Difference } | undefined> {
  const mn = await runOnMnesia(escript, seqs)
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i] as Sequence
    const diff = await compareOne(seq, mn[i] as Outcome[])
    if (diff) return { seq, diff }
  }
  return undefined
}

function withOps(seq: Sequence, ops: readonly Op[]): Sequence {
  return { ...seq, ops }
}

/** Candidates one deletion smaller: chunks of `size` ops, and ops inside transactions. */
function candidates(seq: Sequence, size: number): Sequence[] {
  const ops = seq.ops
  const out: Sequence[] = []
  for (let i = 0; i < ops.length; i += size) out.push(withOps(seq, [...ops.slice(0, i), ...ops.slice(i + size)]))
  if (size === 1) {
    ops.forEach((o, i) => {
      if (o.op !== 'txn') return
      if (o.abort !== undefined) out.push(withOps(seq, ops.map((x, j) => (j === i ? { op: 'txn', ops: o.ops } : x))))
      o.ops.forEach((_, k) => {
        const inner = o.ops.filter((_, j) => j !== k)
        if (inner.length > 0) out.push(withOps(seq, ops.map((x, j) => (j === i ? { ...o, ops: inner } : x))))
      })
      if (o.abort === undefined) out.push(withOps(seq, [...ops.slice(0, i), ...o.ops, ...ops.slice(i + 1)]))
    })
  }
  return out
}

/**
 * Shrinks a sequence that differs to one from which no op (nor transaction member) can be
 * removed without the difference disappearing. Returns it with its difference.
 */
export async function shrink(escript: string, seq: Sequence, diff: Difference): Promise<{ seq: Sequence; diff: Difference }> {
  let cur = withOps(seq, seq.ops.slice(0, diff.index + 1))
  let curDiff = diff
  let size = Math.max(1, Math.floor(cur.ops.length / 2))
  for (;;) {
    const cands = candidates(cur, size).filter((c) => c.ops.length > 0)
    const found = cands.length > 0 ? await firstDiffering(escript, cands) : undefined
    if (found) {
      cur = withOps(found.seq, found.seq.ops.slice(0, found.diff.index + 1))
      curDiff = found.diff
      size = Math.min(size, Math.max(1, Math.floor(cur.ops.length / 2)))
      continue
    }
    if (size === 1) return { seq: cur, diff: curDiff }
    size = Math.max(1, Math.floor(size / 2))
  }
}

/** A difference as a human reads it: the minimal sequence, op by op, and both outcomes. */
export function describe(seq: Sequence, diff: Difference): string {
  const lines = [
    `seed ${String(seq.seed)}: webnesia and Mnesia differ at op ${String(diff.index)} of this sequence`,
    `tables: ${JSON.stringify(seq.tables)}`,
    ...seq.ops.map((o, i) => `  ${String(i)}: ${JSON.stringify(o)}`),
    `mnesia:   ${JSON.stringify(diff.mnesia)}`,
    `webnesia: ${JSON.stringify(diff.webnesia)}`,
  ]
  return lines.join('\n')
}

/** Figures of one run. */
export interface RunReport {
  readonly sequences: number
  readonly ops: number
  /** Each difference found, shrunk and described. */
  readonly differences: string[]
}

/**
 * Generates and compares `seeds` sequences; each difference found is shrunk (at most
 * `maxShrunk` of them, the rest are reported as found).
 */
export async function runDifferential(
  escript: string,
  seqs: readonly Sequence[],
  maxShrunk = 3,
): Promise<RunReport> {
  const diffs = await compareAll(escript, seqs)
  const differences: string[] = []
  for (let i = 0; i < seqs.length; i++) {
    const d = diffs[i]
    if (d === undefined) continue
    const seq = seqs[i] as Sequence
    if (differences.length < maxShrunk) {
      const s = await shrink(escript, seq, d)
      differences.push(describe(s.seq, s.diff))
      console.log(differences[differences.length - 1])
    } else {
      differences.push(`seed ${String(seq.seed)}: differs at op ${String(d.index)} (not shrunk)`)
    }
  }
  return { sequences: seqs.length, ops: seqs.reduce((n, s) => n + countOps(s.ops), 0), differences }
}
