// /system/ops/notifications: the signed-in operator's OperationRunCompleted notifications. Opening one marks it
// read (POST) and then shows its run; nothing is marked read by merely listing.
import { Box, Button, Loader, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import React, { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { announceNotificationsChanged, callApi, formatDateTime, messageOf, RunBadge, ScreenTitle, type NotificationEntry } from './ops-shared.tsx';

const NotificationsScreen: React.FC = () => {
  const navigate = useNavigate();
  const [list, setList] = useState<{ unread: number; notifications: NotificationEntry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState<number | null>(null);

  const load = useCallback(async () => {
    try {
      setList(await callApi<{ unread: number; notifications: NotificationEntry[] }>('/notifications'));
    } catch (caught) {
      setError(messageOf(caught));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const open = async (notification: NotificationEntry) => {
    setOpening(notification.id);
    try {
      if (!notification.read) {
        await callApi(`/notifications/${notification.id}/read`, { method: 'POST', body: {} });
        announceNotificationsChanged();
      }
      if (notification.url) navigate(notification.url);
      else await load();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setOpening(null);
    }
  };

  return (
    <Box variant="grey" data-testid="notifications-screen">
      <ScreenTitle title="Notifications" subtitle="Runs you started that have finished." />
      <Box variant="container">
        {error && <MessageBox mb="lg" variant="danger" message={error} data-testid="notifications-error" />}
        {!list && !error && <Loader />}
        {list && (
          <Text mb="lg" data-testid="notifications-unread" data-unread={list.unread}>
            {list.unread === 0 ? 'Nothing unread.' : `${list.unread} unread`}
          </Text>
        )}
        {list && list.notifications.length > 0 && (
          <Table style={{ width: '100%' }}>
            <TableHead>
              <TableRow>
                <TableCell>Run</TableCell>
                <TableCell>Outcome</TableCell>
                <TableCell>Finished</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {list.notifications.map((notification) => {
                const outcome = typeof notification.data.outcome === 'string' ? notification.data.outcome : null;
                return (
                  <TableRow
                    key={notification.id}
                    data-testid="notification-row"
                    data-notification-id={notification.id}
                    data-read={notification.read ? 'true' : 'false'}
                    style={{ fontWeight: notification.read ? 'normal' : 'bold' }}
                  >
                    <TableCell>
                      {notification.read ? '' : '● '}Run #{notification.runId ?? '—'} finished
                    </TableCell>
                    <TableCell>{outcome ? <RunBadge kind="outcome" value={outcome} /> : '—'}</TableCell>
                    <TableCell>{formatDateTime(notification.createdAt)}</TableCell>
                    <TableCell>
                      <Button type="button" size="sm" variant={notification.read ? 'text' : 'contained'} disabled={opening !== null} onClick={() => void open(notification)} data-testid="notification-open">
                        Open run
                      </Button>
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
      </Box>
    </Box>
  );
};

export default NotificationsScreen;
