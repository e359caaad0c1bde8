/**
 * The API server adds apiVersion, kind and ObjectMeta to every CRD's schema (some CRDs, Istio's,
 * declare only spec and status), and checks names in code rather than in the OpenAPI schema. The
 * subset of ObjectMeta a manifest may set, strictly: fields such as uid or resourceVersion are the
 * server's, and a misspelt one would be dropped without a word.
 */
export const OBJECT_META: Record<string, unknown> = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
  },
};
