// Record action page for a notification: opening it changes nothing; the button POSTs the "mark read" action.
import { Box, Button, MessageBox, Text } from '@adminjs/design-system';
import { ApiClient, type ActionProps } from 'adminjs';
import React, { useState } from 'react';

const api = new ApiClient();

const MarkNotificationRead: React.FC<ActionProps> = ({ record, resource }) => {
  const [state, setState] = useState<'idle' | 'saving' | 'done' | 'failed'>(record?.params.read_at ? 'done' : 'idle');
  if (!record) return null;
  const markRead = async () => {
    setState('saving');
    try {
      await api.recordAction({ resourceId: resource.id, recordId: record.id, actionName: 'markRead', data: {} });
      setState('done');
    } catch {
      setState('failed');
    }
  };
  return (
    <Box variant="container">
      <Text mb="lg">Notification #{record.id}: {String(record.params.type ?? '')}</Text>
      {state === 'done' && <MessageBox variant="success" message="This notification is read." />}
      {state === 'failed' && <MessageBox variant="danger" message="Could not mark it read. Try again." />}
      {state !== 'done' && (
        <Button variant="contained" onClick={markRead} disabled={state === 'saving'} data-testid="mark-read">
          Mark as read
        </Button>
      )}
    </Box>
  );
};

export default MarkNotificationRead;
