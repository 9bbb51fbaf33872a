/**
 * The CDK app (cdk.json: `node --import tsx infra/aws/app.ts`). Synthesis needs no credentials and no network: the
 * stack is environment-agnostic. cdk-nag AwsSolutions runs as a validation plugin, so an unacknowledged finding fails
 * `cdk synth` / `cdk deploy`. Options: -c stackName=… -c domainPrefix=… -c alarmEmail=… -c webAclArn=… -c mfa=optional|required
 * -c passwordComplexity=on (等保 2.0: all four character classes) -c memberInvites=email (Cognito mails invitations; needs SES)
 */
import { buildApp } from './stack';

const { app } = buildApp({ nag: true });
app.synth();
