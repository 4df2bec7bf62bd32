/**
 * A wake-up flag for background loops: `fire()` from a listener, `wait()` in the loop. A fire
 * while nobody waits is kept, so a loop never misses one between its last check and its wait.
 *
 * @module
 */
export class Signal {
  private fired = false
  private waiters: (() => void)[] = []

  /** Wakes the waiting loop (or the next one to wait). */
  fire(): void {
    this.fired = true
    for (const w of this.waiters.splice(0)) w()
  }

  /** Resolves at the next fire (at once if one came since the last wait), or after `ms`. */
  wait(ms = Infinity): Promise<void> {
    if (this.fired) {
      this.fired = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer)
        this.fired = false
        resolve()
      }
      this.waiters.push(done)
      if (Number.isFinite(ms)) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== done)
          resolve()
        }, Math.max(0, ms))
      }
    })
  }
}

/** Resolves after `ms` (retry backoff in background loops; never used to wait for an event). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Exponential backoff with jitter: 10 ms, 20 ms, … capped at `max`. */
export function backoffMs(attempt: number, max = 2000): number {
  const base = Math.min(max, 10 * 2 ** Math.min(attempt, 20))
  return base / 2 + Math.random() * (base / 2)
}
