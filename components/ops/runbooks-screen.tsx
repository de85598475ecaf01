// /system/ops/runbooks: the catalog, one card per runbook: scope → preflight → (if allowed) reason, phrase, run.
// Look before you leap: Run appears only after a preflight of the scope currently chosen; changing it throws the
// preflight away. The server re-checks everything (reason, phrase, capabilities, lock, idempotency).
import { Box, Button, FormGroup, FormMessage, Input, Label, Loader, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text, TextArea } from '@adminjs/design-system';
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import {
  ApiError,
  callApi,
  canRunRunbook,
  formatAgo,
  formatNumber,
  isAbort,
  messageOf,
  newIdempotencyKey,
  OPS_ROOT,
  RunBadge,
  ScreenTitle,
  useCapabilities,
  type Preflight,
  type RunbookInfo,
  type RunSummary,
  type TenantOption,
} from './ops-shared.tsx';

const REASON_MIN = 5;
const REASON_MAX = 500;
const SEARCH_DEBOUNCE_MS = 250;

type Scope = 'all_tenants' | 'single_tenant';

function scopeKey(scope: Scope | null, tenant: TenantOption | null): string | null {
  if (scope === 'all_tenants') return 'all_tenants';
  if (scope === 'single_tenant' && tenant) return `single_tenant:${tenant.id}`;
  return null;
}

/** Characters as the server counts them: code points, not UTF-16 units. */
export function reasonLength(reason: string): number {
  return [...reason.trim()].length;
}

/** Live rule for the reason, the same as the server's (5–500 characters after trimming; invisible ones do not count). */
export function reasonProblem(reason: string): string | null {
  const length = reasonLength(reason);
  const visible = [...reason.trim().replace(/[\p{Cf}\p{M}\u2800\u3164\u115f\u1160\uffa0]/gu, '').trim()].length;
  if (visible < REASON_MIN) return `At least ${REASON_MIN} characters (${visible} so far).`;
  if (length > REASON_MAX) return `At most ${REASON_MAX} characters (${length} now).`;
  return null;
}

// ---------------------------------------------------------------- tenant picker

const TenantPicker: React.FC<{ runbookKey: string; selected: TenantOption | null; onSelect: (tenant: TenantOption | null) => void }> = ({
  runbookKey,
  selected,
  onSelect,
}) => {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<TenantOption[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (selected) return undefined;
    const controller = new AbortController();
    // Debounced: one request per pause in typing, and a stale answer never overwrites a newer one (abort).
    const timer = window.setTimeout(async () => {
      setLoading(true);
      try {
        const answer = await callApi<{ tenants: TenantOption[] }>(`/tenants?q=${encodeURIComponent(query.trim())}&limit=20`, { signal: controller.signal });
        setResults(answer.tenants);
        setError(null);
      } catch (caught) {
        if (!isAbort(caught)) setError(messageOf(caught));
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [query, selected]);

  if (selected) {
    return (
      <Box flex alignItems="center" mb="lg" data-testid="tenant-selected">
        <Text mr="lg">
          Tenant: <strong>{selected.name}</strong> ({selected.externalId}) · workspace {selected.workspace}
        </Text>
        <Button type="button" size="sm" variant="text" onClick={() => onSelect(null)} data-testid="tenant-change">
          Change tenant
        </Button>
      </Box>
    );
  }
  return (
    <FormGroup error={error !== null} data-testid="tenant-picker">
      <Label htmlFor={`tenant-search-${runbookKey}`}>Tenant (search by name or external id)</Label>
      <Input
        id={`tenant-search-${runbookKey}`}
        value={query}
        placeholder="e.g. acme or acme-prod"
        autoComplete="off"
        maxLength={100}
        onChange={(event: React.ChangeEvent<HTMLInputElement>) => setQuery(event.target.value)}
        data-testid="tenant-search"
      />
      {error && <FormMessage>{error}</FormMessage>}
      <Box mt="sm" style={{ maxHeight: 240, overflowY: 'auto', border: '1px solid #EEEEEF' }} data-testid="tenant-results" aria-busy={loading}>
        {results.length === 0 && !loading && (
          <Text p="md" color="grey60">
            No tenant matches “{query.trim()}”.
          </Text>
        )}
        {results.map((tenant) => (
          <Box
            as="button"
            type="button"
            key={tenant.id}
            onClick={() => onSelect(tenant)}
            p="md"
            style={{ display: 'block', width: '100%', textAlign: 'left', background: 'white', border: 0, borderBottom: '1px solid #EEEEEF', cursor: 'pointer' }}
            data-testid="tenant-option"
            data-external-id={tenant.externalId}
          >
            <strong>{tenant.name}</strong> <span style={{ color: '#454655' }}>· {tenant.externalId} · {tenant.workspace}</span>
          </Box>
        ))}
      </Box>
    </FormGroup>
  );
};

// ---------------------------------------------------------------- preflight table

/** One headline number of a preflight, its value also in data-value for tests. */
const Stat: React.FC<{ testId: string; label: string; value: number }> = ({ testId, label, value }) => (
  <Box data-testid={testId}>
    <Text fontSize="sm" color="grey60">
      {label}
    </Text>
    <Text fontSize="h4" fontWeight="bold" data-value={value}>
      {formatNumber(value)}
    </Text>
  </Box>
);

const PreflightTable: React.FC<{ runbook: RunbookInfo; preflight: Preflight }> = ({ runbook, preflight }) => (
  <Box mb="xl" data-testid="preflight-result">
    <Text mb="md">
      Preflight of {preflight.scope === 'all_tenants' ? 'all tenants' : `tenant ${preflight.tenant?.name ?? ''}`}: nothing has changed yet.
    </Text>
    <Box flex flexDirection="row" mb="lg" style={{ gap: 24 }}>
      <Stat testId="preflight-tenants" label="Tenants in scope" value={preflight.tenantsInScope} />
      <Stat testId="preflight-findings-total" label="Findings in scope" value={preflight.findingsTotal} />
      <Stat testId="preflight-findings-changed" label="Findings that would change" value={preflight.findingsWouldChange} />
      <Stat testId="preflight-duplicate-groups" label="Duplicate groups" value={preflight.duplicateGroups} />
    </Box>
    <Table data-testid="preflight-rules">
      <TableHead>
        <TableRow>
          <TableCell>Rule</TableCell>
          <TableCell>What it changes</TableCell>
          <TableCell style={{ textAlign: 'right' }}>Findings</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {runbook.rules.map((rule) => (
          <TableRow key={rule.key} data-testid="preflight-rule" data-rule={rule.key} data-count={preflight.rules[rule.key] ?? 0}>
            <TableCell>{rule.label}</TableCell>
            <TableCell>{rule.description}</TableCell>
            <TableCell style={{ textAlign: 'right' }}>{formatNumber(preflight.rules[rule.key] ?? 0)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  </Box>
);

// ---------------------------------------------------------------- run form

interface Conflict {
  message: string;
  runId: number | null;
  url: string | null;
}

const RunForm: React.FC<{ runbook: RunbookInfo; scope: Scope; tenant: TenantOption | null; onStarted: (run: RunSummary, message: string, created: boolean) => void }> = ({
  runbook,
  scope,
  tenant,
  onStarted,
}) => {
  // One key per opened form: a double click, a retry after a timeout or a resubmit all name the same run.
  const [idempotencyKey] = useState(newIdempotencyKey);
  const [reason, setReason] = useState('');
  const [phrase, setPhrase] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const submittingRef = useRef(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);

  const reasonIssue = reasonProblem(reason);
  const needsPhrase = scope === 'all_tenants';
  const phraseMatches = !needsPhrase || phrase === runbook.confirmationPhrase;
  const canSubmit = reasonIssue === null && phraseMatches && !submitting;

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!canSubmit || submittingRef.current) return;
    submittingRef.current = true;
    setSubmitting(true);
    setFieldErrors({});
    setFailure(null);
    setConflict(null);
    try {
      const answer = await callApi<{ run: RunSummary; created: boolean; message: string }>(`/runbooks/${encodeURIComponent(runbook.key)}/runs`, {
        method: 'POST',
        body: {
          scope,
          ...(scope === 'single_tenant' && tenant ? { tenantId: tenant.id } : {}),
          reason,
          confirmation: needsPhrase ? phrase : undefined,
          idempotencyKey,
        },
      });
      onStarted(answer.run, answer.message, answer.created);
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'lock_conflict') {
        setConflict({ message: caught.message, runId: caught.activeRunId, url: caught.activeRunUrl });
      } else if (caught instanceof ApiError && caught.status === 400 && caught.field) {
        setFieldErrors({ [caught.field]: caught.message });
      } else {
        setFailure(messageOf(caught));
      }
      submittingRef.current = false;
      setSubmitting(false);
    }
  };

  const reasonError = fieldErrors.reason ?? null;
  const phraseError = fieldErrors.confirmation ?? null;
  const otherFieldErrors = Object.entries(fieldErrors).filter(([field]) => field !== 'reason' && field !== 'confirmation');
  return (
    <Box as="form" onSubmit={submit} noValidate data-testid="run-form" data-idempotency-key={idempotencyKey}>
      <FormGroup error={reasonError !== null}>
        <Label htmlFor={`reason-${runbook.key}`} required>
          Reason (why are you running this? {REASON_MIN}–{REASON_MAX} characters)
        </Label>
        <TextArea
          id={`reason-${runbook.key}`}
          rows={3}
          value={reason}
          onChange={(event: React.ChangeEvent<HTMLTextAreaElement>) => setReason(event.target.value)}
          style={{ width: '100%' }}
          data-testid="reason"
        />
        <Text fontSize="sm" mt="sm" color={reasonIssue ? 'warning' : 'success'} data-testid="reason-rule">
          {reasonIssue ?? `${reasonLength(reason)} / ${REASON_MAX} characters ✓`}
        </Text>
        {reasonError && <FormMessage data-testid="reason-error">{reasonError}</FormMessage>}
      </FormGroup>
      {needsPhrase && (
        <FormGroup error={phraseError !== null}>
          <Label htmlFor={`phrase-${runbook.key}`} required>
            Type <code>{runbook.confirmationPhrase}</code> to run on every tenant
          </Label>
          <Input
            id={`phrase-${runbook.key}`}
            value={phrase}
            autoComplete="off"
            onChange={(event: React.ChangeEvent<HTMLInputElement>) => setPhrase(event.target.value)}
            data-testid="confirmation"
          />
          {!phraseMatches && phrase !== '' && (
            <Text fontSize="sm" mt="sm" color="warning">
              The phrase must match exactly, capitals included.
            </Text>
          )}
          {phraseError && <FormMessage data-testid="confirmation-error">{phraseError}</FormMessage>}
        </FormGroup>
      )}
      {otherFieldErrors.map(([field, message]) => (
        <MessageBox key={field} mb="lg" variant="danger" message={message} data-testid={`${field}-error`} />
      ))}
      {failure && <MessageBox mb="lg" variant="danger" message={failure} data-testid="run-error" />}
      {conflict && (
        <MessageBox mb="lg" variant="danger" data-testid="run-conflict">
          <Text>
            {conflict.message}{' '}
            {conflict.url && conflict.runId !== null && (
              <Link to={conflict.url} data-testid="run-conflict-link">
                Open run #{conflict.runId}
              </Link>
            )}
          </Text>
        </MessageBox>
      )}
      <Button variant="contained" color="danger" type="submit" disabled={!canSubmit} data-testid="start-run">
        {submitting ? 'Starting…' : scope === 'all_tenants' ? 'Run on all tenants' : `Run on ${tenant?.name ?? 'tenant'}`}
      </Button>
    </Box>
  );
};

// ---------------------------------------------------------------- one runbook

interface Toast {
  message: string;
  url: string;
  runId: number;
}

const RunbookCard: React.FC<{ runbook: RunbookInfo; granted: readonly string[]; onRunStarted: (toast: Toast) => void }> = ({ runbook, granted, onRunStarted }) => {
  const [scope, setScope] = useState<Scope | null>(null);
  const [tenant, setTenant] = useState<TenantOption | null>(null);
  const [preflight, setPreflight] = useState<{ key: string; result: Preflight } | null>(null);
  const [preflighting, setPreflighting] = useState(false);
  const [preflightError, setPreflightError] = useState<string | null>(null);
  const [formGeneration, setFormGeneration] = useState(0);
  const currentKey = scopeKey(scope, tenant);
  const isPreflightCurrent = preflight !== null && preflight.key === currentKey;
  const mayRun = canRunRunbook(granted, runbook);

  const chooseScope = (next: Scope) => {
    setScope(next);
    setPreflight(null);
    setPreflightError(null);
  };
  const chooseTenant = (next: TenantOption | null) => {
    setTenant(next);
    setPreflight(null);
    setPreflightError(null);
  };

  const runPreflight = async () => {
    if (!currentKey || !scope) return;
    setPreflighting(true);
    setPreflightError(null);
    try {
      const answer = await callApi<{ preflight: Preflight }>(`/runbooks/${encodeURIComponent(runbook.key)}/preflight`, {
        method: 'POST',
        body: scope === 'single_tenant' && tenant ? { scope, tenantId: tenant.id } : { scope },
      });
      setPreflight({ key: currentKey, result: answer.preflight });
      setFormGeneration((n) => n + 1);
    } catch (caught) {
      setPreflightError(messageOf(caught));
    } finally {
      setPreflighting(false);
    }
  };

  const started = (run: RunSummary, message: string) => {
    onRunStarted({ message, url: run.url, runId: run.id });
    // The form closes: the next run needs a fresh preflight and a fresh idempotency key.
    setPreflight(null);
  };

  return (
    <Box variant="container" mb="xl" data-testid="runbook-card" data-runbook={runbook.key}>
      <Text as="h2" fontSize="h4" fontWeight="bold" mb="sm">
        {runbook.title}
      </Text>
      <Text mb="md" color="grey80">
        {runbook.description}
      </Text>
      <Text mb="xl" fontSize="sm" data-testid="last-run">
        Last run:{' '}
        {runbook.lastRun ? (
          <>
            <Link to={`${OPS_ROOT}/runs/${runbook.lastRun.id}`}>#{runbook.lastRun.id}</Link> <RunBadge kind="status" value={runbook.lastRun.status} />
            <RunBadge kind="outcome" value={runbook.lastRun.outcome} /> {formatAgo(runbook.lastRun.completedAt ?? runbook.lastRun.createdAt)}
          </>
        ) : (
          'never'
        )}
      </Text>

      <Box as="fieldset" mb="lg" style={{ border: 0, padding: 0 }} data-testid="scope">
        <Text as="legend" fontWeight="bold" mb="sm">
          Scope
        </Text>
        {(
          [
            ['all_tenants', 'All tenants'],
            ['single_tenant', 'Single tenant'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} style={{ marginRight: 24, cursor: 'pointer' }}>
            <input
              type="radio"
              name={`scope-${runbook.key}`}
              value={value}
              checked={scope === value}
              onChange={() => chooseScope(value)}
              data-testid={`scope-${value}`}
              style={{ marginRight: 6 }}
            />
            {label}
          </label>
        ))}
      </Box>

      {scope === 'single_tenant' && <TenantPicker runbookKey={runbook.key} selected={tenant} onSelect={chooseTenant} />}

      <Box mb="lg">
        <Button type="button" variant="outlined" onClick={runPreflight} disabled={!currentKey || preflighting} data-testid="preflight">
          {preflighting ? <Loader /> : null}
          {preflighting ? 'Computing…' : 'Preflight'}
        </Button>
        {!currentKey && (
          <Text as="span" ml="lg" fontSize="sm" color="grey60">
            {scope === 'single_tenant' ? 'Choose a tenant first.' : 'Choose a scope first.'}
          </Text>
        )}
      </Box>
      {preflightError && <MessageBox mb="lg" variant="danger" message={preflightError} data-testid="preflight-error" />}

      {isPreflightCurrent && preflight && scope && (
        <>
          <PreflightTable runbook={runbook} preflight={preflight.result} />
          {mayRun ? (
            <RunForm key={formGeneration} runbook={runbook} scope={scope} tenant={tenant} onStarted={started} />
          ) : (
            <MessageBox variant="info" data-testid="run-not-allowed" message="You can preview this runbook but not run it: that needs the run capability for this runbook." />
          )}
        </>
      )}
    </Box>
  );
};

// ---------------------------------------------------------------- the screen

const RunbooksScreen: React.FC = () => {
  const granted = useCapabilities();
  const [runbooks, setRunbooks] = useState<RunbookInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [toast, setToast] = useState<Toast | null>(null);

  const load = useCallback(async () => {
    try {
      setRunbooks((await callApi<{ runbooks: RunbookInfo[] }>('/runbooks')).runbooks);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  // Keep each card's "last run" current while a run is still going; stop refreshing once none is.
  const anyActive = (runbooks ?? []).some((runbook) => runbook.lastRun && runbook.lastRun.status !== 'completed');
  useEffect(() => {
    if (!anyActive) return undefined;
    const timer = window.setInterval(() => void load(), 3000);
    return () => window.clearInterval(timer);
  }, [anyActive, load]);

  const runStarted = (next: Toast) => {
    setToast(next);
    void load();
  };

  return (
    <Box variant="grey" data-testid="runbooks-screen">
      <ScreenTitle title="Runbooks" subtitle="Preflight first, say why, confirm, then watch the run." />
      {toast && (
        <Box
          role="status"
          style={{ position: 'fixed', right: 24, bottom: 24, zIndex: 3000, minWidth: 280, boxShadow: '0 4px 16px rgba(0,0,0,0.15)' }}
          data-testid="run-toast"
        >
          <MessageBox variant="success" onCloseClick={() => setToast(null)}>
            <Text>
              {toast.message} ·{' '}
              <Link to={toast.url} data-testid="run-toast-link">
                Open run #{toast.runId}
              </Link>
            </Text>
          </MessageBox>
        </Box>
      )}
      {error && <MessageBox variant="danger" message={error} data-testid="runbooks-error" />}
      {!runbooks && !error && <Loader />}
      {runbooks?.map((runbook) => <RunbookCard key={runbook.key} runbook={runbook} granted={granted} onRunStarted={runStarted} />)}
    </Box>
  );
};

export default RunbooksScreen;
