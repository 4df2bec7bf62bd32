/**
 * Runs a compiled pattern or match specification over a table through an access context.
 *
 * The planner decides where candidates come from (key lookup, secondary index, key-prefix range
 * on an ordered_set, or a full scan); candidates are read through the {@link RecordSource} so a
 * transaction sees its own writes and records what it read, then each goes through the
 * compiled matcher. Results are produced in batches, which is what makes a chunked select hold
 * O(n) records per chunk on every storage type.
 *
 * @module
 */
import type { TableRuntime } from '../schema/catalog.js'
import type { Bounds } from '../storage/key-store.js'
import { exportRecord, keyOf, type Rec } from '../storage/record.js'
import { compareKeys, type Key } from '../storage/term.js'
import { NO_MATCH, type Matcher } from './matcher.js'
import { planQuery, prefixRange, type Plan } from './planner.js'

/**
 * Where a query reads its candidates: a transaction's merged view (txn/access.ts `Access`
 * implements it), so transactions see their own writes and record what they read.
 */
export interface RecordSource {
  read(rt: TableRuntime, key: Key): Promise<readonly Rec[]>
  indexRead(rt: TableRuntime, attr: string, value: unknown): Promise<readonly Rec[]>
  scan(rt: TableRuntime, bounds: Bounds, reverse: boolean, batch: number): AsyncIterable<readonly Rec[]>
}

/** Candidate records for a plan, in term order of keys, in batches. */
async function* candidates(access: RecordSource, rt: TableRuntime, plan: Plan, batch: number): AsyncGenerator<readonly Rec[]> {
  switch (plan.kind) {
    case 'lookup':
      for (const key of plan.keys) {
        const recs = await access.read(rt, key)
        if (recs.length > 0) yield recs
      }
      return
    case 'index': {
      const found: Rec[] = []
      for (const v of plan.values) found.push(...(await access.indexRead(rt, plan.attr, v)))
      // Several values, or a hash table's index: present them in key order like every other plan.
      found.sort((a, b) => compareKeys(keyOf(rt.def, a), keyOf(rt.def, b)))
      for (let i = 0; i < found.length; i += batch) yield found.slice(i, i + batch)
      return
    }
    case 'range': {
      const { lower, upper } = prefixRange(plan.prefix)
      const bounds: Bounds = { lower, upper, upperOpen: true }
      yield* access.scan(rt, bounds, false, batch)
      return
    }
    case 'scan':
      yield* access.scan(rt, {}, false, batch)
      return
  }
}

/** A result safe to hand out: frozen records as they are, records with mutable leaves copied. */
function exportResult(result: unknown, rec: Rec): unknown {
  if (result === rec) return exportRecord(rec)
  return exportRecord(rec) === rec ? result : structuredClone(result)
}

/**
 * The results of `matcher` over table `rt`, in batches of about `batch` results (never empty).
 * Planning happens once, up front.
 */
export async function* runQuery(access: RecordSource, rt: TableRuntime, matcher: Matcher, batch: number): AsyncGenerator<unknown[]> {
  const plan = planQuery(rt.def, matcher)
  let out: unknown[] = []
  for await (const recs of candidates(access, rt, plan, batch)) {
    for (const rec of recs) {
      const r = matcher.run(rec)
      if (r !== NO_MATCH) out.push(exportResult(r, rec))
    }
    if (out.length >= batch) {
      yield out
      out = []
    }
  }
  if (out.length > 0) yield out
}

/** Every result of `matcher` over `rt`. */
export async function collect(access: RecordSource, rt: TableRuntime, matcher: Matcher): Promise<unknown[]> {
  const all: unknown[] = []
  for await (const b of runQuery(access, rt, matcher, 1000)) for (const r of b) all.push(r)
  return all
}

const genuine = new WeakSet<object>()

/**
 * The state of a chunked select between calls (Mnesia's continuation). Opaque to users: pass it
 * to `selectContinue`. It is bound to the context that started it.
 */
export class SelectContinuation {
  private buffer: unknown[] = []
  private done = false
  /** @internal */
  constructor(
    private readonly results: AsyncGenerator<unknown[]>,
    private readonly n: number,
    /** @internal The context the continuation belongs to (checked by `selectContinue`). */
    readonly owner: RecordSource,
  ) {
    genuine.add(this)
  }

  /** True for a continuation this library made (not an object forged from its prototype). @internal */
  static isGenuine(c: unknown): c is SelectContinuation {
    return typeof c === 'object' && c !== null && genuine.has(c)
  }

  /** The next chunk of at most n results, or null at the end. @internal */
  async chunk(): Promise<{ results: unknown[]; cont: SelectContinuation } | null> {
    while (this.buffer.length < this.n && !this.done) {
      const r = await this.results.next()
      if (r.done === true) this.done = true
      else for (const x of r.value) this.buffer.push(x)
    }
    if (this.buffer.length === 0) return null
    const results = this.buffer.splice(0, this.n)
    return { results, cont: this }
  }
}
