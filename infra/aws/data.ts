/**
 * Data: one DynamoDB table per entry of `functions/adapters/dynamo/tables.ts` — the same list the local bootstrap uses —
 * on demand, point-in-time recovery, deletion protection, encrypted with the AWS managed key, and retained when the
 * stack is deleted (census data outlives any deployment).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type KeyDef, type TableDef } from '../../functions/adapters/dynamo/tables';

export interface CensusTable {
  def: TableDef;
  table: Table;
}

const key = (k: KeyDef): Attribute => ({ name: k.name, type: k.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER });
export const pascal = (s: string): string => s.replace(/(^|[-_])([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

export class Data extends Construct {
  readonly tables: Record<TableDef['id'], CensusTable>;

  constructor(scope: Construct, id: string, tables: readonly TableDef[] = TABLES) {
    super(scope, id);
    const out: Partial<Record<TableDef['id'], CensusTable>> = {};
    for (const def of tables) {
      const table = new Table(this, pascal(def.id), {
        partitionKey: key(def.partitionKey),
        ...(def.sortKey ? { sortKey: key(def.sortKey) } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        encryption: TableEncryption.AWS_MANAGED,
        ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
      });
      for (const ix of def.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: ix.name,
          partitionKey: key(ix.partitionKey),
          ...(ix.sortKey ? { sortKey: key(ix.sortKey) } : {}),
          projectionType: ProjectionType.ALL,
        });
      }
      out[def.id] = { def, table };
    }
    this.tables = out as Record<TableDef['id'], CensusTable>;
  }
}
