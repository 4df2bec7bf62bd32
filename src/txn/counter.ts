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
import { WebnesiaError } from '../errors.js'

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
