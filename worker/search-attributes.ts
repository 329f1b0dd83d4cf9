/** Registers Perennial's custom search attributes on a server that lacks them (test server, new namespace). */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
// A CommonJS package: Node's ESM loader (tsx in `npm run api`) cannot see its named exports.
import protoPackage from '@temporalio/proto';
import { searchAttributes } from '../workflows/enrollment';

const { temporal } = protoPackage;
const indexedTypes: Partial<Record<SearchAttributeType, proto.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const wanted = Object.fromEntries(Object.values(searchAttributes).map((key) => [key.name, indexedTypes[key.type]!]));
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: wanted });
}
