// `npm run bundle:admin`: builds the components bundle both planes serve, for production start-ups with
// ADMIN_JS_SKIP_BUNDLE=true. The bundle depends only on the shared ComponentLoader.
import AdminJS from 'adminjs';
import { COMPONENTS_OUTPUT_PATH } from 'adminjs/bundler';
import { bundleComponents } from './bundle.js';
import { componentLoader } from './component-loader.js';

const ms = await bundleComponents(new AdminJS({ componentLoader }));
process.stdout.write(`${JSON.stringify({ bundle: COMPONENTS_OUTPUT_PATH, ms, nodeEnv: process.env.NODE_ENV ?? 'development' })}\n`);
