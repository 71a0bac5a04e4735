import { Type } from '@fastify/type-provider-typebox';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN } from '../../queries/feed-queries.ts';

// Every TAXII parameter is bounded and, where its form is fixed, states it: a request a little
// outside the document is a TAXII 400, and none near it outgrows the server's header limit
// (MAX_HEADER_BYTES in @repute/http), even with every character percent-encoded.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** A STIX object type (STIX 2.1 §3.1): 3 to 250 of a-z, 0-9 and hyphens, from a letter, not ending in a hyphen. */
const STIX_TYPE = '[a-z][a-z0-9-]{1,248}[a-z0-9]';
/** A STIX identifier (STIX 2.1 §2.9): `<object type>--<UUID>`. */
const STIX_ID = `${STIX_TYPE}--${UUID}`;
const STIX_ID_LENGTH = 250 + 2 + 36;

/**
 * A TAXII timestamp (TAXII 2.1 §3.2): RFC 3339 in UTC with `Z`, seconds required, up to
 * nanoseconds. Every string of this form is a time `Date.parse` reads.
 */
const TIMESTAMP = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?Z$';

const Root = Type.String({ minLength: 1, maxLength: 64, description: 'An API root, as discovery names it.' });
const CollectionId = Type.String({ pattern: `^${UUID}$`, maxLength: 36, description: 'A collection id (a UUID), as the collections resource lists it.' });
const ObjectId = Type.String({ pattern: `^${STIX_ID}$`, maxLength: STIX_ID_LENGTH, description: 'A STIX identifier.' });

export const RootParams = Type.Object({ root: Root });
export const CollectionParams = Type.Object({ root: Root, id: CollectionId });
export const ObjectParams = Type.Object({ root: Root, id: CollectionId, objectId: ObjectId });

const paging = {
  added_after: Type.Optional(Type.String({ pattern: TIMESTAMP, maxLength: 30, description: 'Only what was added after this time (exclusive).' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'The most to answer; the server may answer fewer.' })),
  next: Type.Optional(Type.String({ pattern: CURSOR_PATTERN, maxLength: CURSOR_MAX_LENGTH, description: 'The `next` of the previous page: the position after its last item.' })),
};

// Unknown parameters (match[version], match[spec_version]) are ignored, as TAXII clients send them.
export const VersionsQuery = Type.Object(paging, { additionalProperties: true });
export const ObjectsQuery = Type.Object({
  ...paging,
  'match[type]': Type.Optional(Type.String({ pattern: `^${STIX_TYPE}(,${STIX_TYPE})*$`, maxLength: 512, description: 'STIX object types, comma-separated.' })),
  // About twenty ids: TAXII clients name one or a few.
  'match[id]': Type.Optional(Type.String({ pattern: `^${STIX_ID}(,${STIX_ID})*$`, maxLength: 1024, description: 'STIX identifiers, comma-separated.' })),
}, { additionalProperties: true });
