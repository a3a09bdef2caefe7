/**
 * The simulator's HTTP client for the backend API. On a busy machine the backend shares its
 * event loop with thousands of simulated vehicles, and a request may time out before it is even
 * connected: such a request never reached the backend and is retried (GETs on any network
 * failure, other methods only when the connection was never made), with the cause in the error.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** Codes of failures where the request was never sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH', 'EADDRNOTAVAIL'])

/** An API request (JSON in, JSON out). */
export interface ApiInit {
  method?: string
  body?: unknown
}

/** Calls the backend API at `base` with a bearer token; resolves with the JSON body. */
export type ApiCall = (path: string, init?: ApiInit) => Promise<unknown>

function causeCode(e: unknown): string {
  const cause = (e as { cause?: { code?: string; name?: string } }).cause
  return cause?.code ?? cause?.name ?? 'unknown'
}

/**
 * An API client for `base` (e.g. http://127.0.0.1:8080).
 * @example const api = apiClient(base, token); await api('/api/status')
 */
export function apiClient(base: string, token: string, attempts = 8): ApiCall {
  return async (path, init = {}) => {
    const method = init.method ?? 'GET'
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        })
        return await res.json()
      } catch (e) {
        const code = causeCode(e)
        const retry = attempt < attempts && (method === 'GET' || NOT_SENT.has(code))
        if (!retry) throw new Error(`${method} ${path}: ${(e as Error).message} (${code}, attempt ${attempt} of ${attempts})`, { cause: e })
        await sleep(Math.min(8000, 500 * 2 ** (attempt - 1)))
      }
    }
  }
}
