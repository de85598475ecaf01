// /system/ops/runs/{id}: one run — header, progress with ETA, counts per rule, failures, context, audit trail and
// Cancel. While the run is active it re-reads the API (at most every 2 s, no page reload) and stops once terminal.
import { Box, Button, Loader, MessageBox, Modal, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import {
  announceNotificationsChanged,
  callApi,
  capabilityNames,
  formatDateTime,
  formatDuration,
  formatNumber,
  messageOf,
  OPS_ROOT,
  RunBadge,
  scopeLabel,
  ScreenTitle,
  sourceLabels,
  useCapabilities,
  type RunbookInfo,
  type RunDetail,
} from './ops-shared.tsx';

export const POLL_INTERVAL_MS = 2000;

/** 0–100, whatever the server sends (a fraction above 1 or below 0 never shows). */
function percent(fraction: number): number {
  if (!Number.isFinite(fraction)) return 0;
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100);
}

const ProgressBar: React.FC<{ fraction: number; testId: string; label: string }> = ({ fraction, testId, label }) => {
  const value = percent(fraction);
  return (
    <Box mb="md">
      <Text fontSize="sm" mb="xs">
        {label}
      </Text>
      <Box
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        data-testid={testId}
        data-value={value}
        style={{ height: 14, background: '#E5E7EB', borderRadius: 7, overflow: 'hidden' }}
      >
        <Box style={{ width: `${value}%`, height: '100%', background: '#3040D6', transition: 'width 0.4s' }} />
      </Box>
    </Box>
  );
};

const Fact: React.FC<{ label: string; children: React.ReactNode; testId?: string }> = ({ label, children, testId }) => (
  <Box mr="xxl" mb="lg" data-testid={testId}>
    <Text fontSize="sm" color="grey60">
      {label}
    </Text>
    <Box>{children}</Box>
  </Box>
);

/** Labels of the totals below the rules, in display order. */
const countLabels: Record<string, string> = {
  findings_changed: 'Findings changed (any rule)',
  findings_total: 'Findings scanned',
  duplicate_groups: 'Duplicate groups',
  tenants_total: 'Tenants',
  tenants_succeeded: 'Tenants succeeded',
  tenants_failed: 'Tenants failed',
  tenants_cancelled: 'Tenants cancelled',
};

const RunDetailScreen: React.FC<{ runId: number }> = ({ runId }) => {
  const granted = useCapabilities();
  const [run, setRun] = useState<RunDetail | null>(null);
  const [runbooks, setRunbooks] = useState<RunbookInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<string | null>(null);
  const [polls, setPolls] = useState(0);
  const timer = useRef<number | null>(null);
  const alive = useRef(true);
  const lastStatus = useRef<string | null>(null);

  const load = useCallback(async (): Promise<RunDetail | null> => {
    try {
      const answer = await callApi<{ run: RunDetail }>(`/runs/${runId}`);
      if (!alive.current) return null;
      // The run just ended: its initiator has a new notification; let the sidebar count it.
      if (lastStatus.current !== null && lastStatus.current !== 'completed' && answer.run.status === 'completed') announceNotificationsChanged();
      lastStatus.current = answer.run.status;
      // Terminal: no further polls, whichever path (poll or cancel) saw it first.
      if (answer.run.status === 'completed' && timer.current !== null) {
        window.clearTimeout(timer.current);
        timer.current = null;
      }
      setRun(answer.run);
      setError(null);
      setPolls((n) => n + 1);
      return answer.run;
    } catch (caught) {
      if (alive.current) setError(messageOf(caught));
      return null;
    }
  }, [runId]);

  // Poll: the next request starts 2 s after the previous answer, so requests never pile up on a slow server.
  const schedule = useCallback(() => {
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = window.setTimeout(async () => {
      timer.current = null;
      const fresh = await load();
      if (alive.current && (fresh === null || fresh.status !== 'completed')) schedule();
    }, POLL_INTERVAL_MS);
  }, [load]);

  useEffect(() => {
    alive.current = true;
    setRun(null);
    void load().then((first) => {
      if (alive.current && first && first.status !== 'completed') schedule();
    });
    callApi<{ runbooks: RunbookInfo[] }>('/runbooks')
      .then((answer) => alive.current && setRunbooks(answer.runbooks))
      .catch(() => undefined);
    return () => {
      alive.current = false;
      if (timer.current !== null) window.clearTimeout(timer.current);
    };
  }, [load, schedule]);

  const cancel = async () => {
    setCancelling(true);
    setCancelError(null);
    try {
      await callApi(`/runs/${runId}/cancel`, { method: 'POST', body: {} });
      setConfirming(false);
      const fresh = await load();
      if (fresh && fresh.status !== 'completed') schedule();
    } catch (caught) {
      setCancelError(messageOf(caught));
    } finally {
      setCancelling(false);
    }
  };

  if (error && !run) {
    return (
      <Box variant="grey">
        <ScreenTitle title={`Run #${runId}`} />
        <MessageBox variant="danger" message={error} data-testid="run-error" />
        <Text mt="lg">
          <Link to={`${OPS_ROOT}/runs`}>Back to run history</Link>
        </Text>
      </Box>
    );
  }
  if (!run) return <Loader />;

  const runbook = runbooks.find((candidate) => candidate.key === run.runbook);
  const isActive = run.status !== 'completed';
  const mayCancel = isActive && !run.cancelRequested && granted.includes(capabilityNames.runbooksRun);
  const { progress } = run;
  const ruleKeys = runbook?.rules.map((rule) => rule.key) ?? Object.keys(run.counts).filter((key) => /^r\d/.test(key));
  // Totals first in a fixed order, then anything else a runbook reports.
  const otherKeys = [
    ...Object.keys(countLabels).filter((key) => key in run.counts),
    ...Object.keys(run.counts).filter((key) => !ruleKeys.includes(key) && !(key in countLabels)).sort(),
  ];
  const eta = progress.etaSeconds === null ? 'estimating the time left…' : `about ${formatDuration(Math.max(0, progress.etaSeconds))} left`;

  return (
    <Box variant="grey" data-testid="run-detail" data-run-id={run.id} data-polls={polls}>
      <ScreenTitle title={`Run #${run.id} · ${runbook?.title ?? run.runbook}`}>
        <Box>
          {mayCancel && (
            <Button type="button" variant="outlined" color="danger" onClick={() => setConfirming(true)} data-testid="cancel-run">
              Cancel run
            </Button>
          )}
        </Box>
      </ScreenTitle>

      <Box variant="container" mb="xl">
        <Box flex flexDirection="row" flexWrap="wrap">
          <Fact label="Status" testId="detail-status">
            <RunBadge kind="status" value={run.status} />
            <RunBadge kind="outcome" value={run.outcome} />
            {run.cancelRequested && run.status !== 'completed' && <Text as="span">cancelling…</Text>}
          </Fact>
          <Fact label="Scope" testId="detail-scope">
            <Text>{scopeLabel({ ...run, tenantName: run.tenantName ?? run.tenant?.name ?? null, tenantExternalId: run.tenantExternalId ?? run.tenant?.externalId ?? null })}</Text>
          </Fact>
          <Fact label="Initiator" testId="detail-initiator">
            <Text>{run.initiator}</Text>
          </Fact>
          <Fact label="Source" testId="detail-source">
            <Text>{sourceLabels[run.source] ?? run.source}</Text>
          </Fact>
          <Fact label="Created">
            <Text>{formatDateTime(run.createdAt)}</Text>
          </Fact>
          <Fact label="Started">
            <Text>{formatDateTime(run.startedAt)}</Text>
          </Fact>
          <Fact label="Completed">
            <Text>{formatDateTime(run.completedAt)}</Text>
          </Fact>
        </Box>
        <Fact label="Reason" testId="detail-reason">
          <Text style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="run-reason">
            {run.reason}
          </Text>
        </Fact>
        {run.failureMessage && <MessageBox variant="danger" message={run.failureMessage} data-testid="run-failure-message" />}
        {run.cancelledBy && <Text fontSize="sm">Cancelled by {run.cancelledBy}.</Text>}
      </Box>

      <Box variant="container" mb="xl" data-testid="run-progress">
        <Text as="h2" fontSize="h5" fontWeight="bold" mb="lg">
          Progress
        </Text>
        <ProgressBar
          fraction={progress.fraction}
          testId="progress-tenants"
          label={`Tenants: ${formatNumber(progress.tenantsDone)} of ${formatNumber(progress.tenantsTotal)} done (${percent(progress.fraction)}%)`}
        />
        <ProgressBar
          fraction={progress.findingsFraction}
          testId="progress-findings"
          label={`Findings processed: ${formatNumber(progress.findingsProcessed)} of ${formatNumber(progress.findingsExpected)} (${percent(progress.findingsFraction)}%)`}
        />
        <Text fontSize="sm" data-testid="progress-timing">
          Elapsed {formatDuration(progress.elapsedSeconds)}
          {isActive ? ` · ${eta}` : ' · finished'}
          {isActive && ' · refreshing every 2 s'}
        </Text>
      </Box>

      <Box variant="container" mb="xl">
        <Text as="h2" fontSize="h5" fontWeight="bold" mb="lg">
          Counts {isActive ? 'so far' : ''}
        </Text>
        <Table data-testid="run-counts">
          <TableHead>
            <TableRow>
              <TableCell>Rule / counter</TableCell>
              <TableCell style={{ textAlign: 'right' }}>Count</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {ruleKeys.map((key) => (
              <TableRow key={key} data-testid="count-row" data-key={key} data-count={run.counts[key] ?? 0}>
                <TableCell>{runbook?.rules.find((rule) => rule.key === key)?.label ?? key}</TableCell>
                <TableCell style={{ textAlign: 'right' }}>{formatNumber(run.counts[key] ?? 0)}</TableCell>
              </TableRow>
            ))}
            {otherKeys.map((key) => (
              <TableRow key={key} data-testid="count-row" data-key={key} data-count={run.counts[key] ?? 0}>
                <TableCell>{countLabels[key] ?? key}</TableCell>
                <TableCell style={{ textAlign: 'right' }}>{formatNumber(run.counts[key] ?? 0)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>

      <Box variant="container" mb="xl" data-testid="run-failures">
        <Text as="h2" fontSize="h5" fontWeight="bold" mb="lg">
          Failures ({formatNumber(run.items.failed)})
        </Text>
        {run.failures.length === 0 ? (
          <Text color="grey60">No tenant failed.</Text>
        ) : (
          <Table>
            <TableHead>
              <TableRow>
                <TableCell>Tenant</TableCell>
                <TableCell>Message</TableCell>
                <TableCell>Attempts</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {run.failures.map((failure) => (
                <TableRow key={failure.itemId} data-testid="failure-row">
                  <TableCell>
                    {failure.tenantName} ({failure.tenantExternalId})
                  </TableCell>
                  <TableCell>{failure.message ?? '—'}</TableCell>
                  <TableCell>{failure.attempts}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Box>

      <Box variant="container" mb="xl">
        <details data-testid="run-context">
          <summary style={{ cursor: 'pointer', fontWeight: 'bold' }}>Context: preflight snapshot, options, idempotency key, timings</summary>
          <Box mt="lg">
            <Text fontSize="sm">Idempotency key: {run.idempotencyKey ?? '—'}</Text>
            <Text fontSize="sm">
              Created {formatDateTime(run.createdAt)} · started {formatDateTime(run.startedAt)} · completed {formatDateTime(run.completedAt)} · took{' '}
              {formatDuration(run.durationSeconds)}
            </Text>
            <pre style={{ marginTop: 12, padding: 12, background: '#F8F9F9', overflowX: 'auto', fontSize: 12, whiteSpace: 'pre-wrap' }}>
              {JSON.stringify(run.context, null, 2)}
            </pre>
          </Box>
        </details>
      </Box>

      <Box variant="container" mb="xl" data-testid="run-audit">
        <Text as="h2" fontSize="h5" fontWeight="bold" mb="lg">
          Audit trail
        </Text>
        <Table>
          <TableHead>
            <TableRow>
              <TableCell>When</TableCell>
              <TableCell>What</TableCell>
              <TableCell>Who</TableCell>
              <TableCell>From</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {run.auditTrail.map((entry) => (
              <TableRow key={entry.id} data-testid="audit-row" data-action={entry.action}>
                <TableCell>{formatDateTime(entry.occurredAt)}</TableCell>
                <TableCell>{entry.action}</TableCell>
                <TableCell>{entry.actorLabel ?? entry.actorType}</TableCell>
                <TableCell>{entry.ip ?? '—'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>

      <Text>
        <Link to={`${OPS_ROOT}/runs`}>Back to run history</Link>
      </Text>

      {confirming && (
        <Modal
          title={`Cancel run #${run.id}?`}
          subTitle="Tenants not started yet are skipped; batches in flight finish. The run ends as cancelled. This cannot be undone."
          variant="danger"
          onClose={() => setConfirming(false)}
          onOverlayClick={() => setConfirming(false)}
        >
          {cancelError && <MessageBox mb="lg" variant="danger" message={cancelError} data-testid="cancel-error" />}
          <Box flex flexDirection="row" justifyContent="flex-end" style={{ gap: 12 }}>
            <Button type="button" variant="outlined" onClick={() => setConfirming(false)} data-testid="keep-running">
              Keep running
            </Button>
            <Button type="button" variant="contained" color="danger" disabled={cancelling} onClick={() => void cancel()} data-testid="confirm-cancel">
              {cancelling ? 'Cancelling…' : 'Yes, cancel the run'}
            </Button>
          </Box>
        </Modal>
      )}
    </Box>
  );
};

export default RunDetailScreen;
