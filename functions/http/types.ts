/**
 * The HTTP event and result shapes: API Gateway HTTP API payload format 2.0, which the local server reproduces exactly
 * (claims at `requestContext.authorizer.jwt.claims`), so handlers cannot tell AWS from local.
 */
export interface HttpEvent {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  pathParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: {
    requestId: string;
    http: { method: string; path: string; sourceIp?: string };
    authorizer?: { jwt: { claims: Record<string, unknown>; scopes?: string[] | null } };
  };
}

export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

export type Handler = (event: HttpEvent) => Promise<HttpResult>;
