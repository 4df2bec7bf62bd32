/**
 * Test helper: the records a disc_copies store's image holds (storage/disc-image.ts), decoded from
 * its raw rows — what a load sees, in key order (a bag key's records in their stored order).
 */
import { canonical, compareKeys, type Key } from '../../src/storage/term.js'

/** Decodes an image's rows (`[0, n]` snapshot chunks, then `[1, key]` deltas) into records. */
export function imageRecords(rows: readonly { key: unknown; value: unknown }[], keyAttr: string): Record<string, unknown>[] {
  const slots = new Map<string, { key: Key; recs: Record<string, unknown>[] }>()
  for (const { key, value } of rows) {
    const [kind] = key as [number]
    if (kind === 0) {
      for (const r of value as Record<string, unknown>[]) {
        const k = r[keyAttr] as Key
        const c = canonical(k)
        const s = slots.get(c)
        if (s) s.recs.push(r)
        else slots.set(c, { key: k, recs: [r] })
      }
    } else {
      const [k, recs] = value as [Key, Record<string, unknown>[]]
      if (recs.length === 0) slots.delete(canonical(k))
      else slots.set(canonical(k), { key: k, recs })
    }
  }
  return [...slots.values()].sort((a, b) => compareKeys(a.key, b.key)).flatMap((s) => s.recs)
}
