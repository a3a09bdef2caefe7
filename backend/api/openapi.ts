/**
 * The API described by hand in OpenAPI 3.1 (served at /api/openapi.json). Keep it in step with
 * the routes; the API test checks that every route is described.
 */

const error = { $ref: '#/components/schemas/Error' }
const errors = {
  '400': { description: 'Invalid request (names the field)', content: { 'application/json': { schema: error } } },
  '401': { description: 'Missing or unknown token', content: { 'application/json': { schema: error } } },
  '403': { description: 'Role too low, or an overseas read of held categories', content: { 'application/json': { schema: error } } },
}
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } })
const role = (r: string) => ({ 'x-adx-role': r, security: [{ bearer: [] }] })

/** The OpenAPI document. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'ADX backend API',
    version: '1.0.0',
    description:
      'Fleet-side API of ADX (Automotive Data eXport guard): yearly counts against the limits of the Automobile Data Export Security Guidelines (2026), the measure they require, filings, incidents and the signed fleet policy. Reads by accounts marked overseas count as exports to that account.',
  },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'Stable error code, e.g. ADX_ERR_API_VALIDATION' },
          message: { type: 'string' },
          details: { type: 'array', items: { type: 'string' }, description: 'One entry per problem, each naming its field' },
        },
      },
      Limit: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          source: { enum: ['threshold', 'ciio', 'fleet-rule'] },
          ruleId: { type: 'string' },
          counter: { type: 'string' },
          category: { type: 'string' },
          comparison: { enum: ['gte', 'gt'], description: 'gte = 以上 (includes the value), gt = 超过 (excludes it)' },
          value: { type: 'number' },
          count: { type: 'number' },
          fired: { type: 'boolean' },
          maxAllowed: { type: 'number' },
          fraction: { type: 'number' },
          alertLevel: { type: ['number', 'null'] },
          requires: { type: 'string' },
          categories: { type: 'array', items: { type: 'string' } },
          covered: { type: 'boolean' },
          coveredBy: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          uncoveredCategories: { type: 'array', items: { type: 'string' } },
        },
      },
      Status: {
        type: 'object',
        properties: {
          year: { type: 'integer', description: 'Counting year (China Standard Time)' },
          nowMs: { type: 'integer' },
          rulePackVersion: { type: 'string' },
          measure: { enum: ['exempt', 'standard-contract', 'security-assessment'] },
          measureSatisfied: { type: 'boolean' },
          measureFilings: { type: 'array', items: { type: 'string' } },
          reasons: { type: 'array', items: { type: 'object' } },
          counts: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'number' } } },
          limits: { type: 'array', items: { $ref: '#/components/schemas/Limit' } },
          rules: { type: 'array', items: { type: 'object' } },
          held: { type: 'array', items: { type: 'object', properties: { category: { type: 'string' }, limitIds: { type: 'array', items: { type: 'string' } } } } },
          filingsInForce: { type: 'array', items: { type: 'string' } },
          fleetPolicyVersion: { type: 'integer' },
          alertLevels: { type: 'array', items: { type: 'number' } },
        },
      },
      Vehicle: {
        type: 'object',
        properties: {
          vehicleId: { type: 'string' },
          label: { type: 'string' },
          status: { enum: ['active', 'revoked'] },
          createdMs: { type: 'integer' },
          revokedMs: { type: ['integer', 'null'] },
          lastSeenMs: { type: ['integer', 'null'] },
        },
      },
      NewVehicle: {
        type: 'object',
        required: ['vehicleId'],
        additionalProperties: false,
        properties: { vehicleId: { type: 'string', pattern: '^[A-Za-z0-9:._-]{1,128}$' }, label: { type: 'string', maxLength: 256 } },
      },
      Filing: {
        type: 'object',
        properties: {
          filingId: { type: 'string' },
          kind: { enum: ['security-assessment', 'standard-contract', 'certification', 'exemption-reference', 'mnr-approval', 'important-data-filing'] },
          reference: { type: 'string' },
          categories: { type: 'array', items: { type: 'string' } },
          recipients: { type: 'array', items: { type: 'string' } },
          purposes: { type: 'array', items: { type: 'string' } },
          validFromMs: { type: 'integer' },
          validUntilMs: { type: 'integer' },
          exemption: { type: ['string', 'null'] },
          inForce: { type: 'boolean' },
          createdMs: { type: 'integer' },
        },
      },
      NewFiling: {
        type: 'object',
        required: ['kind', 'reference', 'categories', 'recipients', 'purposes', 'validFromMs', 'validUntilMs'],
        additionalProperties: false,
        properties: {
          filingId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
          kind: { enum: ['security-assessment', 'standard-contract', 'certification', 'exemption-reference', 'mnr-approval', 'important-data-filing'] },
          reference: { type: 'string', minLength: 1 },
          categories: { type: 'array', minItems: 1, items: { type: 'string' }, description: 'Categories, rule, threshold or limit ids of the rule pack, or "*"' },
          recipients: { type: 'array', minItems: 1, items: { type: 'string' } },
          purposes: { type: 'array', minItems: 1, items: { type: 'string' } },
          validFromMs: { type: 'integer', minimum: 0 },
          validUntilMs: { type: 'integer', description: 'Exclusive; after validFromMs' },
          exemption: { enum: ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9'], description: 'Only for exemption-reference' },
        },
      },
      Incident: {
        type: 'object',
        properties: {
          id: { type: 'string', description: 'Stable short id (INC-…) for show and update' },
          vehicleId: { type: 'string', description: 'Empty for incidents the backend raised' },
          incidentId: { type: 'string', description: "The reporter's own id" },
          type: { type: 'string', description: 'ADX_INC_… (see docs/compliance-officers.md)' },
          meaning: { type: 'string' },
          grade: { enum: ['particularly-major', 'major', 'relatively-major', 'general'] },
          gradeTitle: { type: 'string' },
          gradeSource: { enum: ['table', 'officer'] },
          state: { enum: ['open', 'contained', 'reported', 'closed'] },
          detectedMs: { type: 'integer' },
          receivedMs: { type: 'integer' },
          containedMs: { type: ['integer', 'null'] },
          reportedMs: { type: ['integer', 'null'] },
          closedMs: { type: ['integer', 'null'] },
          reportDeadlineMs: { type: ['integer', 'null'], description: 'Null when the grade carries no reporting duty' },
          overdue: { type: 'boolean', description: 'Not reported and past the deadline' },
          reportedLate: { type: 'boolean' },
          scope: {
            type: 'object',
            properties: {
              vehicles: { type: 'object', properties: { count: { type: 'integer' }, pseudonyms: { type: 'array', items: { type: 'string' } } } },
              categories: { type: 'array', items: { type: 'string' } },
              items: { type: 'integer' },
            },
          },
          automaticActions: { type: 'array', items: { type: 'string' } },
          payloadId: { type: 'string' },
          reasonCode: { type: 'string' },
          detail: { type: 'string' },
          categories: { type: 'array', items: { type: 'string' }, description: 'Same as scope.categories' },
          count: { type: 'integer', description: 'Same as scope.items' },
          history: {
            type: 'array',
            description: 'Only on GET /api/incidents/{id} and updates',
            items: { type: 'object', properties: { seq: { type: 'integer' }, event: { type: 'string' }, fromState: { type: 'string' }, toState: { type: 'string' }, grade: { type: 'string' }, by: { type: 'string' }, atMs: { type: 'integer' }, note: { type: 'string' } } },
          },
        },
      },
    },
  },
  paths: {
    '/api/health': { get: { summary: 'Liveness of the store and the broker', responses: { '200': json({ type: 'object' }), '503': json({ type: 'object' }, 'Unhealthy') } } },
    '/api/openapi.json': { get: { summary: 'This document', responses: { '200': json({ type: 'object' }) } } },
    '/metrics': { get: { summary: 'Prometheus metrics', ...role('viewer'), responses: { '200': { description: 'text/plain exposition format' }, ...errors } } },
    '/api/status': { get: { summary: 'Every count vs every limit, the measure and alert levels', ...role('viewer'), responses: { '200': json({ $ref: '#/components/schemas/Status' }), ...errors } } },
    '/api/vehicles': {
      get: { summary: 'Provisioned vehicles', ...role('viewer'), responses: { '200': json({ type: 'object', properties: { vehicles: { type: 'array', items: { $ref: '#/components/schemas/Vehicle' } } } }), ...errors } },
      post: {
        summary: 'Provision a vehicle; the secret is returned once',
        ...role('admin'),
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewVehicle' } } } },
        responses: { '201': json({ type: 'object', properties: { vehicleId: { type: 'string' }, secret: { type: 'string' } } }, 'Provisioned'), '409': json(error, 'Already provisioned'), ...errors },
      },
    },
    '/api/gateways': {
      post: {
        summary: 'Provision a gateway (one connection publishing for an enrolled set of vehicles); the secret is returned once',
        ...role('admin'),
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['gatewayId'], properties: { gatewayId: { type: 'string' }, label: { type: 'string' } } } } } },
        responses: { '201': json({ type: 'object', properties: { gatewayId: { type: 'string' }, secret: { type: 'string' } } }, 'Provisioned'), '409': json(error, 'Already provisioned'), ...errors },
      },
    },
    '/api/gateways/{gatewayId}/vehicles': {
      post: {
        summary: 'Enrol up to 2,000 vehicles to a gateway (vehicles not yet provisioned are, without a secret of their own)',
        ...role('admin'),
        parameters: [{ name: 'gatewayId', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['vehicles'], properties: { vehicles: { type: 'array', items: { type: 'string' }, maxItems: 2000 } } } } } },
        responses: { '200': json({ type: 'object', properties: { enrolled: { type: 'integer' }, provisioned: { type: 'integer' } } }), '404': json(error, 'Unknown gateway or vehicle'), ...errors },
      },
    },
    '/api/vehicles/{vehicleId}/revoke': {
      post: {
        summary: 'Revoke a vehicle and drop its connection',
        ...role('admin'),
        parameters: [{ name: 'vehicleId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object' }), '404': json(error, 'Unknown vehicle'), ...errors },
      },
    },
    '/api/filings': {
      get: { summary: 'Filings on record', ...role('viewer'), responses: { '200': json({ type: 'object', properties: { filings: { type: 'array', items: { $ref: '#/components/schemas/Filing' } } } }), ...errors } },
      post: {
        summary: 'Record an approval, contract filing, certification or reference',
        ...role('officer'),
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewFiling' } } } },
        responses: { '201': json({ type: 'object', properties: { filing: { $ref: '#/components/schemas/Filing' }, fleetPolicyVersion: { type: 'integer' } } }, 'Recorded'), '409': json(error, 'Already on record'), ...errors },
      },
    },
    '/api/filings/{filingId}/expire': {
      post: {
        summary: 'End a filing now',
        ...role('officer'),
        parameters: [{ name: 'filingId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object' }), '404': json(error, 'Unknown filing'), ...errors },
      },
    },
    '/api/incidents': {
      get: {
        summary: 'Incidents, newest first',
        ...role('viewer'),
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } },
          { name: 'vehicleId', in: 'query', schema: { type: 'string' } },
          { name: 'state', in: 'query', schema: { enum: ['open', 'contained', 'reported', 'closed'] } },
          { name: 'overdue', in: 'query', schema: { enum: ['true', 'false'] }, description: 'Only incidents past their reporting deadline' },
        ],
        responses: { '200': json({ type: 'object', properties: { incidents: { type: 'array', items: { $ref: '#/components/schemas/Incident' } } } }), ...errors },
      },
    },
    '/api/incidents/{id}': {
      get: {
        summary: 'One incident with its history',
        ...role('viewer'),
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object', properties: { incident: { $ref: '#/components/schemas/Incident' } } }), '404': json(error, 'Unknown incident'), ...errors },
      },
      post: {
        summary: 'Move an incident on (open → contained → reported → closed) and/or regrade it',
        ...role('officer'),
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  state: { enum: ['contained', 'reported', 'closed'] },
                  grade: { enum: ['particularly-major', 'major', 'relatively-major', 'general'] },
                  note: { type: 'string', maxLength: 2000 },
                },
              },
            },
          },
        },
        responses: {
          '200': json({ type: 'object', properties: { incident: { $ref: '#/components/schemas/Incident' } } }),
          '404': json(error, 'Unknown incident'),
          '409': json(error, 'Transition not allowed (ADX_ERR_INCIDENT_TRANSITION)'),
          ...errors,
        },
      },
    },
    '/api/audit/export': {
      get: {
        summary: "The regulators' audit export as one JSON bundle { format: 'adx-audit-bundle/1', range, files: { name: text } }; verify with `adx verify bundle.json`",
        ...role('officer'),
        parameters: [
          { name: 'year', in: 'query', schema: { type: 'string', pattern: '^\\d{4}$' }, description: 'A counting year (China Standard Time)' },
          { name: 'from', in: 'query', schema: { type: 'string' }, description: 'Epoch ms or ISO-8601 (with to, instead of year)' },
          { name: 'to', in: 'query', schema: { type: 'string' }, description: 'Exclusive end' },
        ],
        responses: { '200': json({ type: 'object', properties: { format: { type: 'string' }, range: { type: 'object' }, files: { type: 'object', additionalProperties: { type: 'string' } } } }), ...errors, '413': { description: 'ADX_ERR_AUDIT_TOO_LARGE: the export is over the bundle limit (256 MiB); run `adx export --out DIR` and `adx verify DIR`', content: { 'application/json': { schema: error } } } },
      },
    },
    '/api/policy': {
      get: {
        summary: 'The fleet policy in force, its signed bytes and the verifying key',
        ...role('viewer'),
        responses: {
          '200': json({
            type: 'object',
            properties: { policy: { type: 'object' }, signedPolicyBase64: { type: 'string' }, keyId: { type: 'string' }, publicKeyPem: { type: 'string' } },
          }),
          ...errors,
        },
      },
    },
  },
} as const
