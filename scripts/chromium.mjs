#!/usr/bin/env node
/**
 * `npm test`'s first step (`pretest`): make sure the browser tests have a Chromium, before any test
 * runs (issue 14, item 2: a fresh machine's `npm install && npm test` must do all the set-up).
 *
 *   1. `$CHROMIUM_PATH` if set (it must exist), else Debian's `/usr/bin/chromium`, else Playwright's
 *      own Chromium when it is installed;
 *   2. else get one: Debian's `chromium` package through apt-get when running as root on Debian
 *      (and `apt-get update` succeeds, i.e. the package registry answers), else Playwright's
 *      installer (`npx playwright install chromium`, which needs to download from Playwright's CDN);
 *   3. else stop with one line saying what to install (exit code 1).
 *
 * The decision is {@link decideChromium}, a pure function of injected facts (tested in
 * `test/scripts/chromium.test.ts`); this file's main part only gathers the facts and runs what it
 * decides. `WEBNESIA_NO_BROWSER_INSTALL=1` forbids step 2. `e2e/browser.ts` then picks the same
 * browser (`$CHROMIUM_PATH`, `/usr/bin/chromium`, else Playwright's own).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Debian's Chromium. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium'

/** The one line printed when no Chromium can be found or installed. */
export const WHAT_TO_INSTALL =
  'webnesia: the browser tests need Chromium and none was found or could be installed: on Debian run `apt-get install chromium` as root, elsewhere `npx playwright install chromium`, or set CHROMIUM_PATH to a Chromium binary'

/** Whether an /etc/os-release text is Debian's (ID=debian; derivatives ship other Chromium packages). */
export function isDebian(osRelease) {
  if (typeof osRelease !== 'string') return false
  const id = /^ID=("?)([^"\n]*)\1$/m.exec(osRelease)
  return id?.[2] === 'debian'
}

/**
 * What to do next, from the facts alone (no I/O).
 *
 * @param {import('./chromium.d.mts').ChromiumFacts} f
 * @returns {import('./chromium.d.mts').ChromiumDecision}
 */
export function decideChromium(f) {
  const fromEnv = f.env.CHROMIUM_PATH
  if (fromEnv) {
    if (f.exists(fromEnv)) return { action: 'use', path: fromEnv, source: 'CHROMIUM_PATH' }
    return { action: 'stop', message: `webnesia: CHROMIUM_PATH=${fromEnv} does not exist: point it at a Chromium binary, or unset it` }
  }
  if (f.exists(DEBIAN_CHROMIUM)) return { action: 'use', path: DEBIAN_CHROMIUM, source: 'debian' }
  if (f.playwrightChromium && f.exists(f.playwrightChromium)) return { action: 'use', path: f.playwrightChromium, source: 'playwright' }
  if (f.env.WEBNESIA_NO_BROWSER_INSTALL === '1') return { action: 'stop', message: WHAT_TO_INSTALL }
  const failed = new Set(f.failed)
  if (!failed.has('apt') && f.platform === 'linux' && f.uid === 0 && isDebian(f.osRelease) && f.hasCommand('apt-get')) {
    return {
      action: 'install',
      via: 'apt',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
      ],
    }
  }
  if (!failed.has('playwright') && f.hasCommand('npx')) {
    return { action: 'install', via: 'playwright', commands: [['npx', 'playwright', 'install', 'chromium']] }
  }
  return { action: 'stop', message: WHAT_TO_INSTALL }
}

/** Where Playwright keeps its own Chromium (whether or not it is there), or null. */
async function playwrightChromium() {
  try {
    const { chromium } = await import('@playwright/test')
    return chromium.executablePath()
  } catch {
    return null
  }
}

function hasCommand(cmd) {
  const which = process.platform === 'win32' ? 'where' : 'which'
  return spawnSync(which, [cmd], { stdio: 'ignore' }).status === 0
}

/** Gathers the facts, runs what {@link decideChromium} says until it says use or stop. */
async function main() {
  const failed = []
  let osRelease = null
  try {
    osRelease = readFileSync('/etc/os-release', 'utf8')
  } catch {
    // not Linux, or no os-release
  }
  for (;;) {
    const d = decideChromium({
      env: process.env,
      exists: existsSync,
      uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
      platform: process.platform,
      osRelease,
      // Importing Playwright takes seconds on a loaded machine: only asked when it matters.
      playwrightChromium: process.env.CHROMIUM_PATH || existsSync(DEBIAN_CHROMIUM) ? null : await playwrightChromium(),
      hasCommand,
      failed,
    })
    if (d.action === 'use') {
      if (process.argv.includes('--print')) console.log(d.path)
      return 0
    }
    if (d.action === 'stop') {
      console.error(d.message)
      return 1
    }
    console.error(`webnesia: no Chromium found; installing one (${d.via}): ${d.commands.map((c) => c.join(' ')).join(' && ')}`)
    const ok = d.commands.every(
      ([cmd, ...args]) =>
        spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0,
    )
    if (!ok) failed.push(d.via)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await main()
