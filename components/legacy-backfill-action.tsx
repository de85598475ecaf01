// Legacy /admin trigger (only with ADMIN_MAINTENANCE_ACTIONS=true): rebuild the findings lifecycle of one tenant.
// Opening the page changes nothing; the form POSTs a reason, and the answer is only the intent ("Run #N queued").
import { Box, Button, FormGroup, Label, MessageBox, Text, TextArea } from '@adminjs/design-system';
import { ApiClient, type ActionProps } from 'adminjs';
import React, { useState } from 'react';

const api = new ApiClient();

interface Outcome {
  variant: 'success' | 'danger';
  message: string;
}

function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: { error?: { message?: unknown } } } }).response?.data;
  const message = data?.error?.message;
  return typeof message === 'string' ? message : 'The run could not be started.';
}

const LegacyBackfillAction: React.FC<ActionProps> = ({ record, resource, action }) => {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  if (!record) return null;
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const response = await api.recordAction({ resourceId: resource.id, recordId: record.id, actionName: action.name, data: { reason } });
      const notice = (response.data as { notice?: { message?: string } }).notice;
      setOutcome({ variant: 'success', message: notice?.message ?? 'Run queued.' });
    } catch (error) {
      setOutcome({ variant: 'danger', message: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box variant="container" as="form" onSubmit={submit}>
      <Text mb="lg">Rebuild the findings lifecycle of tenant {String(record.params.name ?? record.id)}.</Text>
      <FormGroup>
        <Label required>Reason</Label>
        <TextArea value={reason} onChange={(event: React.ChangeEvent<HTMLTextAreaElement>) => setReason(event.target.value)} rows={3} />
      </FormGroup>
      {outcome && <MessageBox mb="lg" variant={outcome.variant} message={outcome.message} />}
      <Button variant="contained" type="submit" disabled={busy}>
        Start rebuild
      </Button>
    </Box>
  );
};

export default LegacyBackfillAction;
