/** Registers Perennial's custom search attributes on a server that lacks them (test server, new namespace). */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { createRequire } from 'node:module';
import type * as Proto from '@temporalio/proto';

// @temporalio/proto is CommonJS whose exports Node's ESM loader cannot see by name (`import { temporal }`
// fails under tsx, e.g. `npm run api`, which reaches this file through the simulator): require it.
const { temporal } = createRequire(import.meta.url)('@temporalio/proto') as typeof Proto;
import { searchAttributes } from '../workflows/contracts/enrollment';

const indexedTypes: Partial<Record<SearchAttributeType, Proto.temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const wanted = Object.fromEntries(Object.values(searchAttributes).map((key) => [key.name, indexedTypes[key.type]!]));
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: wanted });
}
