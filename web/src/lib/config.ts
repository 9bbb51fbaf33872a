/** Runtime configuration from /config.json, so one build serves local mode and AWS. */
export interface AppConfig {
  apiBase: string;
  authMode: 'local' | 'cognito';
  region?: string;
  userPoolId?: string;
  clientId?: string;
  cognitoDomain?: string;
}

let loaded: Promise<AppConfig> | undefined;

export function config(): Promise<AppConfig> {
  loaded ??= fetch('/config.json', { cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : { apiBase: '', authMode: 'local' }))
    .catch(() => ({ apiBase: '', authMode: 'local' }));
  return loaded;
}
