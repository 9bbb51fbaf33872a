/** Creates the tables of functions/adapters/dynamo/tables.ts in DynamoDB Local (idempotent: existing tables are kept). */
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient, type AttributeDefinition } from '@aws-sdk/client-dynamodb';
import { TABLES, tableName, type TableDef } from '../../functions/adapters/dynamo/tables';

async function exists(db: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await db.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return false;
    throw e;
  }
}

export async function createTable(db: DynamoDBClient, t: TableDef, env: Record<string, string | undefined>): Promise<boolean> {
  const name = tableName(t, env);
  if (await exists(db, name)) return false;
  const attrs = new Map<string, AttributeDefinition>();
  const add = (k: { name: string; type: 'S' | 'N' }) => attrs.set(k.name, { AttributeName: k.name, AttributeType: k.type });
  add(t.partitionKey);
  if (t.sortKey) add(t.sortKey);
  for (const i of t.indexes) {
    add(i.partitionKey);
    if (i.sortKey) add(i.sortKey);
  }
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attrs.values()],
      KeySchema: [{ AttributeName: t.partitionKey.name, KeyType: 'HASH' }, ...(t.sortKey ? [{ AttributeName: t.sortKey.name, KeyType: 'RANGE' as const }] : [])],
      ...(t.indexes.length
        ? {
            GlobalSecondaryIndexes: t.indexes.map((i) => ({
              IndexName: i.name,
              KeySchema: [{ AttributeName: i.partitionKey.name, KeyType: 'HASH' as const }, ...(i.sortKey ? [{ AttributeName: i.sortKey.name, KeyType: 'RANGE' as const }] : [])],
              Projection: { ProjectionType: 'ALL' as const },
            })),
          }
        : {}),
    }),
  );
  if (t.ttlAttribute) {
    await db.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: t.ttlAttribute } }));
  }
  return true;
}

/** Create every table; returns the names that were new. */
export async function createTables(db: DynamoDBClient, env: Record<string, string | undefined>): Promise<string[]> {
  const created: string[] = [];
  for (const t of TABLES) if (await createTable(db, t, env)) created.push(tableName(t, env));
  return created;
}
