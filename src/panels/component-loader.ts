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
  /** The /system dashboard and pages: the operator screens (runbooks, run history, run detail, notifications). */
  SystemOpsShell: componentLoader.add('SystemOpsShell', path.join(componentsDir, 'system-ops-shell.tsx')),
  /** The /admin dashboard: the customer's start page. */
  AdminHome: componentLoader.add('AdminHome', path.join(componentsDir, 'admin-home.tsx')),
};

/** The login page's words for a plane (AdminJS's default advertises AdminJS itself). */
export function loginLocale(header: string, message: string) {
  return { language: 'en', translations: { en: { components: { Login: { welcomeHeader: header, welcomeMessage: message, loginButton: 'Sign in' } } } } };
}

// The sidebar's pages section, for both planes (overrides are per loader, and there is one loader): /admin has no
// pages, so it renders nothing there; in /system it links the operator screens and shows the unread count.
componentLoader.override('SidebarPages', path.join(componentsDir, 'system-sidebar-pages.tsx'));
