/**
 * Loads the query operations (`ops.ts`: patterns, match specifications, planner, executor) with a
 * dynamic `import()` the first time a transaction queries, so bundlers split them out of an app's
 * main chunk. Once loaded they are used synchronously (no extra promise hop per query).
 *
 * @module
 */
import type * as Ops from './ops.js'

export type QueryOps = typeof Ops

let ops: QueryOps | null = null
let loading: Promise<QueryOps> | null = null

/** The query operations if loaded already, else null. */
export function loadedQueries(): QueryOps | null {
  return ops
}

/** The query operations, loading them the first time. */
export function loadQueries(): Promise<QueryOps> {
  loading ??= import('./ops.js').then(
    (m) => (ops = m),
    (e: unknown) => {
      loading = null // a failed fetch (offline, no cache) is tried again by the next query
      throw e
    },
  )
  return loading
}
