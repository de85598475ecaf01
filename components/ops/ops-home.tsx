// /system: where an operator starts — the three screens, with the unread notification count.
import { Box, Text } from '@adminjs/design-system';
import React, { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { callApi, capabilityNames, NOTIFICATIONS_CHANGED, OPS_ROOT, ScreenTitle, useCapabilities } from './ops-shared.tsx';

const Tile: React.FC<{ to: string; title: string; text: string; testId: string; children?: React.ReactNode }> = ({ to, title, text, testId, children }) => (
  <Box variant="container" mr="xl" mb="xl" style={{ flex: '1 1 240px' }} data-testid={testId}>
    <Link to={to} style={{ textDecoration: 'none' }}>
      <Text fontSize="h5" fontWeight="bold" mb="sm">
        {title}
      </Text>
    </Link>
    <Text color="grey80">{text}</Text>
    {children}
  </Box>
);

const OpsHome: React.FC = () => {
  const granted = useCapabilities();
  const [unread, setUnread] = useState<number | null>(null);
  useEffect(() => {
    const load = () => {
      callApi<{ unread: number }>('/notifications?unread=true')
        .then((answer) => setUnread(answer.unread))
        .catch(() => setUnread(null));
    };
    load();
    window.addEventListener(NOTIFICATIONS_CHANGED, load);
    return () => window.removeEventListener(NOTIFICATIONS_CHANGED, load);
  }, []);
  return (
    <Box variant="grey" data-testid="ops-home">
      <ScreenTitle title="Atlas Ops" subtitle="Repair and backfill customer data safely: preflight, say why, confirm, watch." />
      <Box flex flexDirection="row" flexWrap="wrap">
        {granted.includes(capabilityNames.runbooksView) && (
          <Tile to={`${OPS_ROOT}/runbooks`} title="Runbooks" text="Preview what a runbook would change, then run it on one tenant or all." testId="home-runbooks" />
        )}
        {granted.includes(capabilityNames.opsView) && (
          <Tile to={`${OPS_ROOT}/runs`} title="Run history" text="Every run with its status, outcome, counts and audit trail." testId="home-runs" />
        )}
        <Tile to={`${OPS_ROOT}/notifications`} title="Notifications" text="Runs you started that have finished." testId="home-notifications">
          <Text mt="md" fontWeight="bold" data-testid="home-unread" data-unread={unread ?? ''}>
            {unread === null ? '' : unread === 0 ? 'Nothing unread' : `${unread} unread`}
          </Text>
        </Tile>
      </Box>
    </Box>
  );
};

export default OpsHome;
