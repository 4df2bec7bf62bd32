/**
 * Request helpers shared by every user of a backend transaction.
 *
 * @module
 */

/**
 * Issues a request without awaiting it: its outcome is the transaction's (`done`), and a request
 * failed by an abort must not become an unhandled rejection.
 */
export function fire(request: Promise<unknown>): void {
  request.catch(() => undefined)
}
