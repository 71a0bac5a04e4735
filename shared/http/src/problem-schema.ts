import { Type } from '@fastify/type-provider-typebox';

/** The schema of every problem document (RFC 9457) the services send, for their route schemas. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    retriable: Type.Optional(Type.Boolean()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), reason: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem document (application/problem+json).' },
);
