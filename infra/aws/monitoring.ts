/**
 * Monitoring: alarms on API 5xx, on each function's errors and throttles, and on DynamoDB throttling of each table,
 * all notifying one SNS topic (KMS-encrypted with a key CloudWatch may use; SSL-only). `-c alarmEmail=ops@example.cn`
 * subscribes an address (the recipient confirms by e-mail).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Api } from './api';
import type { Data } from './data';

const PERIOD = Duration.minutes(5);

export interface MonitoringProps {
  api: Api;
  data: Data;
  alarmEmail?: string;
}

export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Risk Census alarm topic',
      // Only alarm notifications in flight depend on it: scheduled for deletion with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets the CloudWatch service use it.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Risk Census alarms', masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const alarm = (id: string, metric: IMetric, threshold: number, description: string) => {
      const a = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
    };

    alarm('Api5xx', props.api.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' }), 5, 'The HTTP API answered 5 or more 5xx responses in 5 minutes');

    // One alarm per function on errors + throttles (one resource instead of two: a route costs ~8 CloudFormation
    // resources and a stack may hold 500); the alarm's metrics show which of the two fired.
    for (const { route, fn } of props.api.routes) {
      alarm(
        `${fn.node.id}ErrorsOrThrottles`,
        new MathExpression({
          expression: 'errors + throttles',
          usingMetrics: { errors: fn.fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), throttles: fn.fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }) },
          period: PERIOD,
          label: `${route.method} ${route.path} errors + throttles`,
        }),
        1,
        `${route.method} ${route.path}: the function failed (uncaught error or timeout) or was throttled (account concurrency)`,
      );
    }

    const worker = props.api.jobWorker.fn;
    alarm(
      'JobWorkerErrorsOrThrottles',
      new MathExpression({
        expression: 'errors + throttles',
        usingMetrics: { errors: worker.metricErrors({ period: PERIOD, statistic: 'Sum' }), throttles: worker.metricThrottles({ period: PERIOD, statistic: 'Sum' }) },
        period: PERIOD,
        label: 'job function errors + throttles',
      }),
      1,
      'The job function (exports, imports) failed (uncaught error or timeout) or was throttled; the job shows as failed to its user',
    );

    for (const { def, table } of Object.values(props.data.tables)) {
      const m = (name: string) => table.metric(name, { period: PERIOD, statistic: 'Sum' });
      alarm(
        `${def.id[0]!.toUpperCase()}${def.id.slice(1)}TableThrottles`,
        new MathExpression({
          expression: 'r + w',
          usingMetrics: { r: m('ReadThrottleEvents'), w: m('WriteThrottleEvents') },
          period: PERIOD,
          label: `${def.id} throttle events`,
        }),
        1,
        `DynamoDB table ${def.id}: read or write requests were throttled`,
      );
    }
  }
}
