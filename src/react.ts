/**
 * `webnesia/react`: {@link useLiveQuery}, a React hook over `db.liveQuery` (API.md, "Live
 * queries"). React is an optional peer dependency: only this module imports it, and the main
 * entry never does.
 *
 * @module
 */
import { useCallback, useMemo, useRef, useSyncExternalStore, type DependencyList } from 'react'
import type { ActivityFn, Database } from './db.js'
import type { LiveQuery } from './live/live-query.js'
import type { TypedActivityFn, TypedDatabase } from './typed/database.js'

interface Snapshot<V> {
  readonly q: LiveQuery<V>
  value: V | undefined
  error: { e: unknown } | null
}

/**
 * Follows a live query from a React component (with `useSyncExternalStore`): renders with
 * `undefined` until the first value, then again with each new value. The query is made anew
 * when `db` or a value in `deps` changes (as `useEffect`'s dependencies). A failing query throws
 * its error from the render (to the nearest error boundary) until it succeeds again.
 *
 * @throws whatever the query function threw, from the render, while it fails.
 * @example
 * const orders = useLiveQuery(db, (t) => t.matchObject('order', { sku }), [sku])
 * return <ul>{orders?.map((o) => <li key={String(o.id)}>{o.qty}</li>)}</ul>
 */
export function useLiveQuery<S, V>(db: TypedDatabase<S>, fn: TypedActivityFn<S, V>, deps?: DependencyList): V | undefined
export function useLiveQuery<V>(db: Database, fn: ActivityFn<V>, deps?: DependencyList): V | undefined
export function useLiveQuery<V>(
  db: Pick<Database, 'liveQuery'> | Pick<TypedDatabase<never>, 'liveQuery'>,
  fn: ActivityFn<V> | TypedActivityFn<never, V>,
  deps: DependencyList = [],
): V | undefined {
  // The typed view is the same object as the Database: one implementation serves both.
  const host = db as Pick<Database, 'liveQuery'>
  // The function is taken from the render that made the query, as useEffect takes its callback.
  const fnRef = useRef(fn as ActivityFn<V>)
  fnRef.current = fn as ActivityFn<V>
  // The deps are the caller's, as with useEffect.
  const q = useMemo(() => host.liveQuery((t) => fnRef.current(t)), [host, ...deps])
  const snap = useRef<Snapshot<V> | null>(null)
  if (snap.current?.q !== q) snap.current = { q, value: undefined, error: null }
  const current = snap.current
  const subscribe = useCallback(
    (onChange: () => void) =>
      q.subscribe(
        (v) => {
          current.value = v
          current.error = null
          onChange()
        },
        (e) => {
          current.error = { e }
          onChange()
        },
      ),
    [q, current],
  )
  const getSnapshot = (): Snapshot<V>['error'] | V | undefined => current.error ?? current.value
  const out = useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
  if (current.error && out === current.error) throw current.error.e
  return current.value
}
