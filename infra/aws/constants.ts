/** Names shared by the CDK app and the operator scripts (kept free of aws-cdk-lib so scripts start fast). */
import type { TableDef } from '../../functions/adapters/dynamo/tables';

export const DEFAULT_STACK_NAME = 'RiskCensus';

/** Stack output ids. */
export const OUTPUTS = {
  siteUrl: 'SiteUrl',
  apiUrl: 'ApiUrl',
  userPoolId: 'UserPoolId',
  userPoolClientId: 'UserPoolClientId',
  cognitoDomain: 'CognitoDomain',
  filesBucket: 'FilesBucketName',
  accessLogsBucket: 'AccessLogsBucketName',
  alarmTopic: 'AlarmTopicArn',
} as const;

/** Output id carrying a table's physical name: `Table<Id>` (e.g. TableDirectory). */
export function tableOutputId(def: Pick<TableDef, 'id'>): string {
  return `Table${def.id[0]!.toUpperCase()}${def.id.slice(1)}`;
}
