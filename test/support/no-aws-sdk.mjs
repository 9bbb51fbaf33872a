/**
 * `node --import ./test/support/no-aws-sdk.mjs …`: any import of the AWS SDK fails with an error naming the importer.
 * The `npm start` tests run the server under it, so the embedded store's path is proved to work without the SDK.
 */
import { register } from 'node:module';

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/')) {
    throw new Error('The AWS SDK was imported on the embedded path: ' + specifier + ' from ' + context.parentURL);
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
