/**
 * The one place errors become HTTP responses: `{ code, message, details? }` with a status per
 * stable code. Anything that is not an AdxError is logged and answered as ADX_ERR_INTERNAL
 * without its message (no internals leak).
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { z } from 'zod'
import { AdxError, type ErrorCode } from '../../shared/errors.ts'
import type { Logger } from '../log.ts'

const statusOf: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  ADX_ERR_API_UNAUTHENTICATED: 401,
  ADX_ERR_API_FORBIDDEN: 403,
  ADX_ERR_API_EXPORT_HELD: 403,
  ADX_ERR_API_VALIDATION: 400,
  ADX_ERR_INPUT: 400,
  ADX_ERR_API_NOT_FOUND: 404,
  ADX_ERR_VEHICLE_UNKNOWN: 404,
  ADX_ERR_GATEWAY_UNKNOWN: 404,
  ADX_ERR_FILING_UNKNOWN: 404,
  ADX_ERR_VEHICLE_EXISTS: 409,
  ADX_ERR_FILING_EXISTS: 409,
  ADX_ERR_STORE_BUSY: 503,
  ADX_ERR_INCIDENT_UNKNOWN: 404,
  ADX_ERR_INCIDENT_TRANSITION: 409,
  ADX_ERR_LOG_LOCKED: 503,
  ADX_ERR_AUDIT_TOO_LARGE: 413,
}

/** HTTP status of an error code (500 when not listed). */
export function httpStatus(code: ErrorCode): ContentfulStatusCode {
  return statusOf[code] ?? 500
}

/** The JSON error response of an AdxError. */
export function errorResponse(c: Context, e: AdxError): Response {
  const body: { code: ErrorCode; message: string; details?: readonly string[] } = { code: e.code, message: e.message }
  if (e.details.length) body.details = e.details
  return c.json(body, httpStatus(e.code))
}

/** Turns any thrown value into a response (app.onError). */
export function handleError(log: Logger) {
  return function onError(err: unknown, c: Context): Response {
    if (err instanceof AdxError) return errorResponse(c, err)
    log.error({ err, path: c.req.path }, 'unhandled API error')
    return errorResponse(c, new AdxError('ADX_ERR_INTERNAL', 'see the backend log'))
  }
}

/** An ADX_ERR_API_VALIDATION error naming each bad field (`body.categories.2: …`). */
export function validationError(where: string, error: z.ZodError): AdxError {
  const details = error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`)
  return new AdxError('ADX_ERR_API_VALIDATION', details.join('; '), details)
}

/**
 * Parses a request's JSON body with a schema.
 * @throws AdxError ADX_ERR_API_VALIDATION naming the field.
 */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let raw: unknown
  try {
    raw = await c.req.json()
  } catch {
    throw new AdxError('ADX_ERR_API_VALIDATION', 'body: not a JSON document', ['body: not a JSON document'])
  }
  const r = schema.safeParse(raw)
  if (!r.success) throw validationError('body', r.error)
  return r.data
}

/**
 * Parses query parameters with a schema.
 * @throws AdxError ADX_ERR_API_VALIDATION naming the parameter.
 */
export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const r = schema.safeParse(c.req.query())
  if (!r.success) throw validationError('query', r.error)
  return r.data
}
