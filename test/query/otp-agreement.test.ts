/**
 * Match-spec behaviours found by the differential test against OTP 25 (test/differential/), each
 * pinned here with what `ets:match_spec_run` answers for the same spec.
 */
import { describe, expect, it } from 'vitest'
import { compileMatchSpec } from '../../src/query/match-spec.js'
import { BODY_EXIT, NO_MATCH } from '../../src/query/matcher.js'
import { importRecord } from '../../src/storage/record.js'
import { table } from './fixtures.js'

const t = table('t', { attributes: ['k', 'v', 'w'] })
const rec = importRecord(t, { k: 1, v: 2, w: 'x' })
const head = { k: '$1', v: '$2', w: '$3' }
const body = (e: unknown): unknown => compileMatchSpec(t, [[head, [], [e]]]).run(rec)
const guard = (g: unknown): boolean => compileMatchSpec(t, [[head, [g], [true]]]).run(rec) === true

describe("andalso / orelse: the last operand's value is the result (OTP 25)", () => {
  it('in a body, a non-boolean last operand is returned as it is', () => {
    expect(body(['andalso', true, 5])).toBe(5) // OTP: [5]
    expect(body(['andalso', true, true, '$2'])).toBe(2) // OTP: [2]
    expect(body(['orelse', false, false, '$3'])).toBe('x') // OTP: [<<"x">>]
    expect(body(['andalso', 5])).toBe(5) // OTP: [5]
    expect(body(['orelse', 5])).toBe(5) // OTP: [5]
  })
  it('operands before the last must still be booleans, and a failing last one fails', () => {
    expect(body(['andalso', true, 5, true])).toBe(BODY_EXIT) // OTP: ['EXIT']
    expect(body(['andalso', '$1', true])).toBe(BODY_EXIT) // OTP: ['EXIT']
    expect(body(['andalso', true, ['+', '$3', 1]])).toBe(BODY_EXIT) // OTP: ['EXIT']
    expect(body(['andalso', false, ['+', '$3', 1]])).toBe(false) // OTP: [false]
    expect(body(['orelse', true, '$2'])).toBe(true) // OTP: [true]
  })
  it('in a guard, only true passes', () => {
    expect(guard(['andalso', true, '$1'])).toBe(false) // OTP: []
    expect(guard(['andalso', true, ['==', '$1', 1]])).toBe(true)
    expect(compileMatchSpec(t, [[head, [['orelse', false, '$2']], ['$1']]]).run(rec)).toBe(NO_MATCH)
  })
})
