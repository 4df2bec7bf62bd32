/**
 * The query operations of a transaction handle (`matchObject`, `select`, `indexMatchObject`, chunked
 * selects), compiled and run over a {@link RecordSource}. Loaded on first use (`query/load.ts`): an
 * app that only reads and writes keys does not ship the pattern and match-spec compilers.
 *
 * @module
 */
import { WebnesiaError, safeString } from '../errors.js'
import type { TableRuntime } from '../schema/catalog.js'
import { collect, runQuery, SelectContinuation, type RecordSource } from './executor.js'
import { compileMatchSpec } from './match-spec.js'
import { compilePattern } from './pattern.js'

export { SelectContinuation }

/** Records of `rt` matching a pattern. @throws BadMatchSpecError for a malformed pattern */
export function matchObject(source: RecordSource, rt: TableRuntime, pattern: unknown): Promise<unknown[]> {
  return collect(source, rt, compilePattern(rt.def, pattern))
}

/**
 * Results of a match specification; with `n`, the first chunk of at most n results or null.
 * @throws BadMatchSpecError for a malformed spec; WebnesiaError `'badarg'` for a bad `n`
 */
export function select(source: RecordSource, rt: TableRuntime, spec: unknown, n?: number): Promise<unknown[] | { results: unknown[]; cont: SelectContinuation } | null> {
  const matcher = compileMatchSpec(rt.def, spec)
  if (n === undefined) return collect(source, rt, matcher)
  if (!Number.isInteger(n) || n < 1) throw new WebnesiaError('badarg', `select chunk size must be a positive integer, got ${safeString(n)}`)
  return new SelectContinuation(runQuery(source, rt, matcher, n), n, source).chunk()
}

/** Records matching a pattern that binds the indexed attribute `attr`. @throws WebnesiaError `'badarg'` when it does not */
export function indexMatchObject(source: RecordSource, rt: TableRuntime, pattern: unknown, attr: string): Promise<unknown[]> {
  const matcher = compilePattern(rt.def, pattern)
  if (!matcher.clauses.every((c) => c.attrs.has(attr))) {
    throw new WebnesiaError('badarg', `indexMatchObject: the pattern must bind ${attr} to a value`)
  }
  return collect(source, rt, matcher)
}
