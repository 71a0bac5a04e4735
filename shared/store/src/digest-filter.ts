// The filter format is shared with the SDK and lives in @repute/core; the store builds with it.
export { DigestFilter } from '@repute/core';
