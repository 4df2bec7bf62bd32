/**
 * `scripts/chromium.mjs`, the first step of `npm test`: which Chromium the browser tests get on a
 * given machine, and what it installs when there is none (decided by a pure function of the facts).
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEBIAN_CHROMIUM, WHAT_TO_INSTALL, decideChromium, isDebian, type ChromiumFacts } from '../../scripts/chromium.mjs'

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nID=debian\n'
const UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'
const PW = '/root/.cache/ms-playwright/chromium-1200/chrome-linux/chrome'

/** A fresh Debian machine, as root, with apt-get and npx, and no browser at all. */
function machine(over: Partial<ChromiumFacts> & { files?: string[] } = {}): ChromiumFacts {
  const files = new Set(over.files ?? [])
  return {
    env: {},
    exists: (p) => files.has(p),
    uid: 0,
    platform: 'linux',
    osRelease: DEBIAN,
    playwrightChromium: PW,
    hasCommand: (c) => c === 'apt-get' || c === 'npx',
    failed: [],
    ...over,
  }
}

describe('decideChromium: finding one', () => {
  it('takes CHROMIUM_PATH first, when the file exists', () => {
    expect(decideChromium(machine({ env: { CHROMIUM_PATH: '/opt/c' }, files: ['/opt/c', DEBIAN_CHROMIUM, PW] }))).toEqual({
      action: 'use',
      path: '/opt/c',
      source: 'CHROMIUM_PATH',
    })
  })
  it('stops, naming it, when CHROMIUM_PATH points at nothing (and installs nothing)', () => {
    const d = decideChromium(machine({ env: { CHROMIUM_PATH: '/nope' }, files: [DEBIAN_CHROMIUM] }))
    expect(d.action).toBe('stop')
    expect(d.action === 'stop' && d.message).toContain('CHROMIUM_PATH=/nope does not exist')
  })
  it("then Debian's /usr/bin/chromium, then Playwright's own", () => {
    expect(decideChromium(machine({ files: [DEBIAN_CHROMIUM, PW] }))).toEqual({ action: 'use', path: DEBIAN_CHROMIUM, source: 'debian' })
    expect(decideChromium(machine({ files: [PW] }))).toEqual({ action: 'use', path: PW, source: 'playwright' })
  })
})

describe('decideChromium: getting one', () => {
  it("as root on Debian: Debian's chromium through apt-get", () => {
    expect(decideChromium(machine())).toEqual({
      action: 'install',
      via: 'apt',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
      ],
    })
  })
  it("apt failed (the registry did not answer): Playwright's installer; both failed: one line saying what to install", () => {
    expect(decideChromium(machine({ failed: ['apt'] }))).toMatchObject({ action: 'install', via: 'playwright' })
    expect(decideChromium(machine({ failed: ['apt', 'playwright'] }))).toEqual({ action: 'stop', message: WHAT_TO_INSTALL })
  })
  it("not root, not Debian (Ubuntu's chromium is a snap), no apt-get, or not Linux: Playwright's installer", () => {
    for (const m of [
      machine({ uid: 1000 }),
      machine({ osRelease: UBUNTU }),
      machine({ osRelease: null }),
      machine({ hasCommand: (c) => c === 'npx' }),
      machine({ platform: 'darwin', uid: 501, osRelease: null }),
      machine({ platform: 'win32', uid: undefined, osRelease: null }),
    ]) {
      expect(decideChromium(m)).toEqual({ action: 'install', via: 'playwright', commands: [['npx', 'playwright', 'install', 'chromium']] })
    }
  })
  it('stops when installing is forbidden, or when nothing can install', () => {
    expect(decideChromium(machine({ env: { WEBNESIA_NO_BROWSER_INSTALL: '1' } }))).toEqual({ action: 'stop', message: WHAT_TO_INSTALL })
    expect(decideChromium(machine({ uid: 1000, hasCommand: () => false }))).toEqual({ action: 'stop', message: WHAT_TO_INSTALL })
    expect(decideChromium(machine({ uid: 1000, failed: ['playwright'] }))).toEqual({ action: 'stop', message: WHAT_TO_INSTALL })
  })
  it('the message is one line naming both ways and CHROMIUM_PATH', () => {
    expect(WHAT_TO_INSTALL).not.toContain('\n')
    for (const s of ['apt-get install chromium', 'npx playwright install chromium', 'CHROMIUM_PATH']) expect(WHAT_TO_INSTALL).toContain(s)
  })
  it('a run of the loop on a fresh Debian machine whose apt works ends with Debian’s chromium', () => {
    const files = new Set<string>()
    const failed: ('apt' | 'playwright')[] = []
    const ran: string[] = []
    for (let i = 0; i < 5; i++) {
      const d = decideChromium(machine({ exists: (p) => files.has(p), failed }))
      if (d.action !== 'install') {
        expect(d).toEqual({ action: 'use', path: DEBIAN_CHROMIUM, source: 'debian' })
        expect(ran).toEqual(['apt-get update', 'apt-get install -y --no-install-recommends chromium'])
        return
      }
      for (const c of d.commands) ran.push(c.join(' '))
      files.add(DEBIAN_CHROMIUM) // what the apt install does
    }
    throw new Error('the loop did not settle')
  })
})

it('isDebian reads ID from os-release, quoted or not; derivatives are not Debian', () => {
  expect(isDebian(DEBIAN)).toBe(true)
  expect(isDebian('ID="debian"\n')).toBe(true)
  expect(isDebian(UBUNTU)).toBe(false)
  expect(isDebian('ID_LIKE=debian\nID=raspbian\n')).toBe(false)
  expect(isDebian(null)).toBe(false)
})

describe('the script', () => {
  const script = fileURLToPath(new URL('../../scripts/chromium.mjs', import.meta.url))
  it('with CHROMIUM_PATH at a file: exit 0, and --print prints it', () => {
    const r = spawnSync(process.execPath, [script, '--print'], { env: { ...process.env, CHROMIUM_PATH: process.execPath }, encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe(process.execPath)
  })
  it('with CHROMIUM_PATH at nothing: exit 1 and one line on stderr, before anything else', () => {
    const r = spawnSync(process.execPath, [script], { env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' }, encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toEqual(['webnesia: CHROMIUM_PATH=/nonexistent/chromium does not exist: point it at a Chromium binary, or unset it'])
  })
})
