/** Registers Perennial's custom search attributes on a server that lacks them (test server, new namespace). */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
// A CommonJS package: Node's ESM loader sees only its default export (tsx processes), not `temporal`.
import proto from '@temporalio/proto';
import { searchAttributes } from '../workflows/enrollment';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const indexedTypes: Partial<Record<SearchAttributeType, (typeof IndexedValueType)[keyof typeof IndexedValueType]>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const wanted = Object.fromEntries(Object.values(searchAttributes).map((key) => [key.name, indexedTypes[key.type]!]));
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: wanted });
}
