/** Limits of a signaling server (defaults in {@link DEFAULT_LIMITS}; see the file header). */
export interface SignalingLimits {
  /** Largest message in bytes (default 65536); over it, the client is closed with 1009. */
  readonly maxPayload: number
  /** Topics (rooms) one connection may subscribe to at once (default 64); over it: 1008. */
  readonly maxTopics: number
  /** Open connections in all (default 1000); over it, the new one is closed with 1013. */
  readonly maxConnections: number
  /** Open connections from one remote address (default 50); over it: 1013. */
  readonly maxConnectionsPerIp: number
  /** Messages per second a connection may send, sustained (default 50). */
  readonly rate: number
  /** Messages a connection may send at once (token bucket size, default 300); over it: 1008. */
  readonly burst: number
}

/** Options of {@link startSignalingServer}. */
export interface SignalingOptions extends Partial<SignalingLimits> {
  /** Port to listen on (default 4444; 0 picks a free one). */
  port?: number
  /** Address to bind (default 127.0.0.1). */
  host?: string
}

/** A running signaling server. */
export interface SignalingServer {
  /** The port it listens on. */
  readonly port: number
  /** The address it is bound to (127.0.0.1 by default). */
  readonly address: string
  /** The limits it enforces. */
  readonly limits: SignalingLimits
  /** Disconnects every client and stops listening. */
  close(): Promise<void>
}

/** The default limits. */
export const DEFAULT_LIMITS: SignalingLimits

/**
 * Starts a y-webrtc-protocol signaling server (default 127.0.0.1:4444). Rejects with a
 * `RangeError` for a limit that is not a positive number (an integer, but for `rate`).
 */
export function startSignalingServer(opts?: SignalingOptions): Promise<SignalingServer>
