import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** SPA: one static build served by `npm start` locally and by CloudFront on AWS; runtime settings come from /config.json. */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    alias: { $domain: '../functions/domain' },
    prerender: { entries: [] },
    // The service worker is registered by src/app.html, once the first screen has loaded (not at the load event).
    serviceWorker: { register: false },
  },
};
