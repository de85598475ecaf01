// The components bundle both planes serve. AdminJS's bundler is a process-wide singleton writing one file, so it
// runs once per process, from the shared ComponentLoader; production pre-bundles and starts with
// ADMIN_JS_SKIP_BUNDLE=true (see `npm run bundle:admin`).
import { existsSync } from 'node:fs';
import type AdminJS from 'adminjs';
import { ADMIN_JS_TMP_DIR, COMPONENTS_OUTPUT_PATH, componentsBundler, generateUserComponentEntry } from 'adminjs/bundler';
import { log } from '../log.js';

let bundling: Promise<number> | null = null;

/** Builds the bundle (once per process); resolves with the milliseconds it took. */
export function bundleComponents(admin: AdminJS): Promise<number> {
  bundling ??= (async () => {
    const started = performance.now();
    await componentsBundler.createEntry({ content: generateUserComponentEntry(admin, ADMIN_JS_TMP_DIR) });
    await componentsBundler.build();
    const ms = Math.round(performance.now() - started);
    log.info('adminjs.bundled', { ms, output: COMPONENTS_OUTPUT_PATH });
    return ms;
  })();
  bundling.catch(() => {
    bundling = null;
  });
  return bundling;
}

export function isBundleSkipped(): boolean {
  return process.env.ADMIN_JS_SKIP_BUNDLE === 'true';
}

/**
 * Makes sure a current bundle exists before the planes serve pages. With ADMIN_JS_SKIP_BUNDLE=true the pre-built
 * file must exist; otherwise it is (re)built now, so a stale bundle from an older checkout is never served.
 */
export async function prepareBundle(admin: AdminJS): Promise<void> {
  if (isBundleSkipped()) {
    if (!existsSync(COMPONENTS_OUTPUT_PATH)) {
      throw new Error(`ADMIN_JS_SKIP_BUNDLE=true but ${COMPONENTS_OUTPUT_PATH} does not exist: run npm run bundle:admin first.`);
    }
    return;
  }
  await bundleComponents(admin);
}
