// The one ComponentLoader both AdminJS instances share: the bundler is a process-wide singleton writing one
// bundle, so two loaders would overwrite each other. Component names are unique across both planes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentLoader } from 'adminjs';

const componentsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../components');

export const componentLoader = new ComponentLoader();

export const Components = {
  RunStatusBadge: componentLoader.add('RunStatusBadge', path.join(componentsDir, 'run-status-badge.tsx')),
  MarkNotificationRead: componentLoader.add('MarkNotificationRead', path.join(componentsDir, 'mark-notification-read.tsx')),
  LegacyBackfillAction: componentLoader.add('LegacyBackfillAction', path.join(componentsDir, 'legacy-backfill-action.tsx')),
};
