/**
 * Unique ids: commit ids, tab ids, transaction ids, table cookies.
 *
 * @module
 */

let counter = 0

/** A new unique id, `prefix` first (`'c-'` commits, `'tab-'` tabs, `'ck-'` cookies, …). */
export function newId(prefix: string): string {
  counter = (counter + 1) % 0x7fffffff
  const rnd = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID().slice(0, 13) : Math.random().toString(36).slice(2, 15)
  return `${prefix}${rnd}${counter.toString(36)}`
}
