/**
 * Finding Erlang/OTP (with Mnesia) for the differential tests.
 *
 * {@link planErlang} is a pure function over the facts of the machine (tested on its own);
 * {@link probeErlang} gathers those facts; {@link ensureErlang} acts on the plan: use the
 * `escript` found, or install Debian's `erlang-base erlang-mnesia` when running as root on Debian
 * with apt-get (as `.ci/run` does), or fail with one line saying how to get Erlang.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** What the plan depends on. */
export interface ErlangFacts {
  /** Path of an `escript` that runs (from `$ESCRIPT` or the PATH), or undefined. */
  readonly escript: string | undefined
  /** Whether that Erlang has Mnesia (`code:which(mnesia)` finds it). */
  readonly mnesia: boolean
  readonly root: boolean
  /** `/etc/debian_version` exists. */
  readonly debian: boolean
  /** `apt-get` is on the PATH. */
  readonly aptGet: boolean
}

/** What to do about Erlang. */
export type ErlangPlan =
  | { readonly kind: 'ready'; readonly escript: string }
  | { readonly kind: 'install'; readonly commands: readonly (readonly string[])[] }
  | { readonly kind: 'missing'; readonly message: string }

/** The one line printed when there is no Erlang and it cannot be installed here. */
export const HOW_TO_GET_ERLANG =
  'differential tests need Erlang/OTP with Mnesia (`escript` on the PATH or $ESCRIPT): ' +
  'apt-get install erlang-base erlang-mnesia (Debian/Ubuntu), brew install erlang (macOS), ' +
  'or see https://www.erlang.org/downloads'

/** Debian's packages that hold `escript` and Mnesia. */
export const DEBIAN_PACKAGES: readonly string[] = ['erlang-base', 'erlang-mnesia']

/**
 * Decides what to do: ready when an escript with Mnesia exists; install when root on Debian with
 * apt-get; missing (with {@link HOW_TO_GET_ERLANG}) otherwise.
 *
 * @example
 * planErlang({ escript: '/usr/bin/escript', mnesia: true, root: false, debian: true, aptGet: true })
 * // → { kind: 'ready', escript: '/usr/bin/escript' }
 */
export function planErlang(f: ErlangFacts): ErlangPlan {
  if (f.escript !== undefined && f.mnesia) return { kind: 'ready', escript: f.escript }
  if (f.root && f.debian && f.aptGet) {
    return {
      kind: 'install',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', ...DEBIAN_PACKAGES],
      ],
    }
  }
  return { kind: 'missing', message: HOW_TO_GET_ERLANG }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/** True when `escript` runs and its Erlang finds the mnesia application. */
function hasMnesia(escript: string): boolean {
  const erl = join(escript, '..', 'erl')
  const probe = existsSync(erl) ? erl : 'erl'
  const r = spawnSync(probe, ['-noshell', '-eval', 'io:format("~p", [code:which(mnesia)]), halt().'], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  return r.status === 0 && r.stdout.includes('mnesia.beam')
}

/** The facts of this machine. */
export function probeErlang(): ErlangFacts {
  const fromEnv = process.env.ESCRIPT
  const escript = fromEnv !== undefined && fromEnv !== '' ? fromEnv : onPath('escript')
  return {
    escript,
    mnesia: escript !== undefined && hasMnesia(escript),
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    debian: existsSync('/etc/debian_version'),
    aptGet: onPath('apt-get') !== undefined,
  }
}

/**
 * The path of an escript with Mnesia, installing Erlang first where the plan says so.
 *
 * @throws Error with {@link HOW_TO_GET_ERLANG} (one line) when there is none and none can be had.
 */
export function ensureErlang(probe: () => ErlangFacts = probeErlang): string {
  const plan = planErlang(probe())
  if (plan.kind === 'ready') return plan.escript
  if (plan.kind === 'missing') throw oneLine(plan.message)
  for (const [cmd, ...args] of plan.commands) {
    const r = spawnSync(cmd as string, args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    })
    if (r.status !== 0) throw oneLine(`${HOW_TO_GET_ERLANG} (\`${[cmd, ...args].join(' ')}\` failed)`)
  }
  const again = planErlang(probe())
  if (again.kind !== 'ready') throw oneLine(HOW_TO_GET_ERLANG)
  return again.escript
}

/** An Error whose report is its message alone (no stack: the line says everything). */
function oneLine(message: string): Error {
  const e = new Error(message)
  e.stack = `Error: ${message}`
  return e
}
