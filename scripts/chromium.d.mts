/** What {@link decideChromium} knows about the machine (gathered by the script, or made up by a test). */
export interface ChromiumFacts {
  /** The environment (`CHROMIUM_PATH`, `WEBNESIA_NO_BROWSER_INSTALL`). */
  env: Readonly<Record<string, string | undefined>>
  /** Whether a file exists. */
  exists: (path: string) => boolean
  /** The user id (undefined off POSIX). */
  uid: number | undefined
  /** `process.platform`. */
  platform: string
  /** The text of /etc/os-release, or null. */
  osRelease: string | null
  /** Where Playwright's own Chromium is (or would be), or null when Playwright cannot say. */
  playwrightChromium: string | null
  /** Whether a command is on the PATH. */
  hasCommand: (cmd: string) => boolean
  /** Installers already tried that failed. */
  failed: readonly ('apt' | 'playwright')[]
}

/** The next step. */
export type ChromiumDecision =
  | { action: 'use'; path: string; source: 'CHROMIUM_PATH' | 'debian' | 'playwright' }
  | { action: 'install'; via: 'apt' | 'playwright'; commands: string[][] }
  | { action: 'stop'; message: string }

export const DEBIAN_CHROMIUM: string
export const WHAT_TO_INSTALL: string
export function isDebian(osRelease: string | null): boolean
export function decideChromium(f: ChromiumFacts): ChromiumDecision
