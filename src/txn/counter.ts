/**
 * Counter arithmetic (Mnesia's `dirty_update_counter`, checked against Erlang/OTP 25).
 *
 * Mnesia increments the stored value with `ets:update_counter` (a negative increment with a
 * threshold of 0: the counter never goes below 0). When that fails (no record, a value that is
 * not an integer) or gives a negative number (a stored negative value), Mnesia writes the
 * increment itself if it is positive, else 0:
 *
 *     stored      incr   OTP 25        stored   incr   OTP 25
 *     (none)        5    5             -2        1     1
 *     (none)       -3    0             -2        0     0
 *     7            -3    4             'ba'      0     0
 *     0           -10    0             1.5       1     1
 *
 * webnesia has one number type: an increment must be a safe integer (`Number.isSafeInteger`),
 * and so must the result (Erlang's integers have no bound; a counter past 2^53 - 1 would lose
 * precision silently, so it is refused).
 *
 * @module
 */
import { WebnesiaError, safeString } from '../errors.js'
import type { TableDef } from '../schema/table-def.js'
import { applyIntent, type Intent, type Rec } from '../storage/record.js'
import type { Key } from '../storage/term.js'

/**
 * Checks an increment: a safe integer, else `bad_type` (OTP: `{aborted, {bad_type, Tab, Incr}}`,
 * raised before the table is even looked up).
 *
 * @throws WebnesiaError with code 'bad_type'
 */
export function checkIncrement(table: string, incr: unknown): asserts incr is number {
  if (typeof incr !== 'number' || !Number.isSafeInteger(incr)) {
    throw new WebnesiaError('bad_type', `update counter ${table}: the increment must be an integer, got ${typeof incr === 'number' ? String(incr) : typeof incr}`)
  }
}

/**
 * The counter's new value, given what is stored (`undefined`: no record) and the increment.
 *
 * @throws WebnesiaError with code 'bad_type' when the result is not a safe integer
 * @example
 * nextCounter(7, -3)    // 4
 * nextCounter(-2, 1)    // 1 (as OTP 25)
 * nextCounter('ba', 0)  // 0 (as OTP 25)
 */
export function nextCounter(table: string, stored: unknown, incr: number): number {
  const sum = typeof stored === 'number' && Number.isInteger(stored) ? stored + incr : -1
  const next = sum >= 0 ? sum : Math.max(incr, 0)
  if (!Number.isSafeInteger(next)) throw new WebnesiaError('bad_type', `update counter ${table}: the result ${String(next)} is past 2^53 - 1`)
  return next
}

/**
 * An increment waiting in a write set, resolved against the key's records at commit (so that
 * increments of one key by concurrent transactions commute: none of them read the value). `f`
 * absent: Mnesia's counter on a two-attribute table (its second attribute, never below 0); `f`
 * present: the numeric attribute `f` of an existing record, plain integer addition.
 */
export interface Increment {
  readonly c: number
  readonly f?: string
}

/**
 * The write an increment becomes, given the key's records as of now.
 *
 * @throws WebnesiaError `no_exists` when a field increment finds no record, `bad_type` when the
 *   field holds no integer or the result is past 2^53 - 1
 */
export function resolveIncrement(def: Pick<TableDef, 'name' | 'attributes'>, key: Key, recs: readonly Rec[], inc: Increment): { readonly w: Rec } {
  if (inc.f === undefined) {
    const [keyAttr, valAttr] = def.attributes as [string, string]
    return { w: Object.freeze({ [keyAttr]: key, [valAttr]: nextCounter(def.name, recs[0]?.[valAttr], inc.c) }) }
  }
  const rec = recs[0]
  if (rec === undefined) throw new WebnesiaError('no_exists', `update counter ${def.name}: no record with key ${safeString(key)}`)
  const v = rec[inc.f]
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new WebnesiaError('bad_type', `update counter ${def.name}: ${inc.f} of ${safeString(key)} is not an integer`)
  }
  const next = v + inc.c
  if (!Number.isSafeInteger(next)) throw new WebnesiaError('bad_type', `update counter ${def.name}: the result ${String(next)} is past 2^53 - 1`)
  return { w: Object.freeze({ ...rec, [inc.f]: next }) }
}

/** Applies pending intents (increments among them) to the records of a key, in order. */
export function applyPending(def: Pick<TableDef, 'name' | 'attributes' | 'type'>, key: Key, current: readonly Rec[], intents: readonly (Intent | Increment)[]): readonly Rec[] {
  const bag = def.type === 'bag'
  let out = current
  for (const i of intents) out = applyIntent(out, 'c' in i ? resolveIncrement(def, key, out, i) : i, bag)
  return out
}
