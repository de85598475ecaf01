// Overrides AdminJS's sidebar "pages" section (the loader is shared by both planes; /admin has no pages, so it
// renders nothing there). In /system it links the operator screens at their /system/ops/… URLs, shows only those
// the operator may open, and shows the unread notification count.
import { Navigation } from '@adminjs/design-system';
import React, { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { callApi, NOTIFICATIONS_CHANGED, OPS_ROOT, SYSTEM_ROOT, useCapabilities } from './ops/ops-shared.tsx';

interface PageEntry {
  name: string;
  icon?: string;
}

const screens: Record<string, { label: string; capability: string | null }> = {
  runbooks: { label: 'Runbooks', capability: 'platform.runbooks.view' },
  runs: { label: 'Run history', capability: 'platform.ops.view' },
  notifications: { label: 'Notifications', capability: null },
};

const UNREAD_REFRESH_MS = 30_000;

const SystemSidebarPages: React.FC<{ pages?: PageEntry[] }> = ({ pages }) => {
  const location = useLocation();
  const navigate = useNavigate();
  const granted = useCapabilities();
  const [unread, setUnread] = useState<number | null>(null);
  const isSystem = location.pathname === SYSTEM_ROOT || location.pathname.startsWith(`${SYSTEM_ROOT}/`);

  useEffect(() => {
    if (!isSystem) return undefined;
    const load = () => {
      callApi<{ unread: number }>('/notifications?unread=true')
        .then((answer) => setUnread(answer.unread))
        .catch(() => undefined);
    };
    load();
    const timer = window.setInterval(load, UNREAD_REFRESH_MS);
    window.addEventListener(NOTIFICATIONS_CHANGED, load);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener(NOTIFICATIONS_CHANGED, load);
    };
  }, [isSystem, location.pathname]);

  if (!pages || pages.length === 0) return null;
  const elements = pages
    .filter((page) => {
      const screen = screens[page.name];
      return !screen || screen.capability === null || granted.includes(screen.capability);
    })
    .map((page) => {
      const screen = screens[page.name];
      const href = screen && isSystem ? `${OPS_ROOT}/${page.name}` : `${SYSTEM_ROOT}/pages/${page.name}`;
      const label = screen?.label ?? page.name;
      return {
        id: page.name,
        label: page.name === 'notifications' && unread ? `${label} (${unread} unread)` : label,
        icon: page.icon,
        href,
        isSelected: location.pathname === href || location.pathname.startsWith(`${href}/`),
        onClick: (event: React.MouseEvent, element: { href?: string }) => {
          event.preventDefault();
          if (element.href) navigate(element.href);
        },
      };
    });
  return <Navigation label="Operations" elements={elements} data-testid="sidebar-ops" />;
};

export default SystemSidebarPages;
