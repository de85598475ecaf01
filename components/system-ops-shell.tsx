// The /system dashboard and pages component: picks the operator screen from the URL. /system/ops/… URLs are served
// the AdminJS page by the server (src/panels/system-panel.ts) and land here through the app's catch-all route, so
// the screens keep AdminJS's sidebar and top bar and move between each other without a reload.
import React from 'react';
import { useLocation } from 'react-router-dom';
import NotificationsScreen from './ops/notifications-screen.tsx';
import OpsHome from './ops/ops-home.tsx';
import RunDetailScreen from './ops/run-detail-screen.tsx';
import RunHistoryScreen from './ops/run-history-screen.tsx';
import RunbooksScreen from './ops/runbooks-screen.tsx';
import { SYSTEM_ROOT } from './ops/ops-shared.tsx';

const SystemOpsShell: React.FC = () => {
  const { pathname } = useLocation();
  const path = pathname.replace(/\/+$/, '');
  const screen = path.startsWith(`${SYSTEM_ROOT}/pages/`) ? `${SYSTEM_ROOT}/ops/${path.slice(`${SYSTEM_ROOT}/pages/`.length)}` : path;
  const detail = /^\/system\/ops\/runs\/([1-9]\d{0,14})$/.exec(screen);
  if (detail?.[1]) return <RunDetailScreen key={detail[1]} runId={Number(detail[1])} />;
  switch (screen) {
    case `${SYSTEM_ROOT}/ops/runbooks`:
      return <RunbooksScreen />;
    case `${SYSTEM_ROOT}/ops/runs`:
      return <RunHistoryScreen />;
    case `${SYSTEM_ROOT}/ops/notifications`:
      return <NotificationsScreen />;
    default:
      return <OpsHome />;
  }
};

export default SystemOpsShell;
