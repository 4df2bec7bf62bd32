/** The Erlang detection of the differential tests, as a pure function over the machine's facts. */
import { describe, expect, it } from 'vitest'
import { DEBIAN_PACKAGES, ensureErlang, HOW_TO_GET_ERLANG, planErlang, type ErlangFacts } from './erlang-env.js'

const none: ErlangFacts = { escript: undefined, mnesia: false, root: false, debian: false, aptGet: false }

describe('planErlang', () => {
  it('uses an escript whose Erlang has Mnesia', () => {
    expect(planErlang({ ...none, escript: '/usr/bin/escript', mnesia: true })).toEqual({ kind: 'ready', escript: '/usr/bin/escript' })
    expect(planErlang({ ...none, escript: '/opt/otp/bin/escript', mnesia: true, root: true, debian: true, aptGet: true }).kind).toBe('ready')
  })

  it("installs Debian's packages as root on Debian with apt-get (also when Erlang lacks Mnesia)", () => {
    const install = { kind: 'install', commands: [['apt-get', 'update'], ['apt-get', 'install', '-y', ...DEBIAN_PACKAGES]] }
    expect(planErlang({ ...none, root: true, debian: true, aptGet: true })).toEqual(install)
    expect(planErlang({ ...none, escript: '/usr/bin/escript', mnesia: false, root: true, debian: true, aptGet: true })).toEqual(install)
    expect(DEBIAN_PACKAGES).toEqual(['erlang-base', 'erlang-mnesia'])
  })

  it('otherwise says, in one line, how to get Erlang', () => {
    for (const f of [
      none,
      { ...none, root: true, debian: true }, // no apt-get
      { ...none, root: true, aptGet: true }, // not Debian
      { ...none, debian: true, aptGet: true }, // not root
      { ...none, escript: '/usr/bin/escript', mnesia: false },
    ]) {
      expect(planErlang(f)).toEqual({ kind: 'missing', message: HOW_TO_GET_ERLANG })
    }
    expect(HOW_TO_GET_ERLANG).not.toContain('\n')
    expect(HOW_TO_GET_ERLANG).toContain('erlang-mnesia')
  })
})

describe('ensureErlang', () => {
  it('returns the escript when ready, and throws the one line when missing (nothing installed)', () => {
    expect(ensureErlang(() => ({ ...none, escript: '/x/escript', mnesia: true }))).toBe('/x/escript')
    expect(() => ensureErlang(() => none)).toThrow(HOW_TO_GET_ERLANG)
  })
})
