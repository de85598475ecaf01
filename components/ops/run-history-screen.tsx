// /system/ops/runs: run history, newest first, filtered and paged by keyset (the API's beforeId / afterId), so the
// hundredth page costs what the first costs, with 10,000 runs or more.
import { Box, Button, Input, Label, Loader, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import React, { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import {
  callApi,
  formatDateTime,
  formatDuration,
  isAbort,
  messageOf,
  OPS_ROOT,
  RunBadge,
  scopeLabel,
  ScreenTitle,
  selectStyle,
  sourceLabels,
  type RunbookInfo,
  type RunSummary,
} from './ops-shared.tsx';

const PAGE_SIZE = 25;
const statuses = ['queued', 'running', 'completed'];
const outcomes = ['pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled'];

interface Filters {
  runbook: string;
  status: string;
  outcome: string;
  initiator: string;
  since: string;
  until: string;
  sort: 'newest' | 'oldest';
}

const noFilters: Filters = { runbook: '', status: '', outcome: '', initiator: '', since: '', until: '', sort: 'newest' };

const statusValues = ['queued', 'running', 'completed'];
const outcomeValues = ['pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled'];
const isDay = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);

/** Filters from the address (so a filtered history can be shared or reloaded); values that make no sense are reported, not used. */
function filtersFromSearch(search: string): { filters: Filters; ignored: string[] } {
  const params = new URLSearchParams(search);
  const filters: Filters = { ...noFilters };
  const ignored: string[] = [];
  const take = (key: keyof Filters, valid: (value: string) => boolean) => {
    const values = params.getAll(key);
    if (values.length === 0) return;
    const value = values[0]!;
    if (values.length === 1 && valid(value)) (filters as unknown as Record<string, string>)[key] = value;
    else ignored.push(`${key}=${values.join(',')}`);
  };
  take('runbook', (value) => /^[a-z0-9_.]{1,100}$/.test(value));
  take('status', (value) => statusValues.includes(value));
  take('outcome', (value) => outcomeValues.includes(value));
  take('initiator', (value) => value.length <= 200);
  take('since', isDay);
  take('until', isDay);
  take('sort', (value) => value === 'newest' || value === 'oldest');
  return { filters, ignored };
}

function searchOf(filters: Filters): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value !== '' && !(key === 'sort' && value === 'newest')) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

interface Page {
  runs: RunSummary[];
  total: number;
  nextBeforeId: number | null;
  nextAfterId: number | null;
}

function queryOf(filters: Filters, cursor: number | null): string {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), sort: filters.sort });
  for (const key of ['runbook', 'status', 'outcome', 'initiator'] as const) if (filters[key].trim() !== '') params.set(key, filters[key].trim());
  if (filters.since) params.set('since', filters.since);
  // "until" is a day: runs created on it are included.
  if (filters.until) params.set('until', new Date(new Date(`${filters.until}T00:00:00`).getTime() + 86_400_000).toISOString());
  if (cursor !== null) params.set(filters.sort === 'oldest' ? 'afterId' : 'beforeId', String(cursor));
  return params.toString();
}

const FilterSelect: React.FC<{ id: string; label: string; value: string; options: { value: string; label: string }[]; onChange: (value: string) => void }> = ({
  id,
  label,
  value,
  options,
  onChange,
}) => (
  <Box mr="lg" mb="md">
    <Label htmlFor={id}>{label}</Label>
    <select id={id} value={value} onChange={(event) => onChange(event.target.value)} style={selectStyle} data-testid={`filter-${id}`}>
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  </Box>
);

const RunHistoryScreen: React.FC = () => {
  const location = useLocation();
  const navigate = useNavigate();
  const [initial] = useState(() => filtersFromSearch(location.search));
  const [runbooks, setRunbooks] = useState<RunbookInfo[]>([]);
  const [filters, setFilters] = useState<Filters>(initial.filters);
  const [initiatorDraft, setInitiatorDraft] = useState(initial.filters.initiator);
  // Cursors of the pages before this one, so Previous needs no offset.
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const [page, setPage] = useState<Page | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;

  useEffect(() => {
    callApi<{ runbooks: RunbookInfo[] }>('/runbooks')
      .then((answer) => setRunbooks(answer.runbooks))
      .catch(() => setRunbooks([]));
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    callApi<Page>(`/runs?${queryOf(filters, cursor)}`, { signal: controller.signal })
      .then((answer) => {
        setPage(answer);
        setError(null);
        setLoading(false);
      })
      .catch((caught: unknown) => {
        if (isAbort(caught)) return;
        setError(messageOf(caught));
        setLoading(false);
      });
    return () => controller.abort();
  }, [filters, cursor]);

  const change = (patch: Partial<Filters>) => {
    setFilters((current) => ({ ...current, ...patch }));
    setCursors([null]);
  };

  // Keep the address in step with the filters (replace: filtering is not a step back/forward).
  useEffect(() => {
    const search = searchOf(filters);
    if (search !== location.search) navigate({ pathname: location.pathname, search }, { replace: true });
  }, [filters, location.pathname, location.search, navigate]);

  // The initiator filter is text: apply it after a pause in typing, not on every key.
  useEffect(() => {
    const timer = window.setTimeout(() => {
      if (initiatorDraft !== filters.initiator) change({ initiator: initiatorDraft });
    }, 300);
    return () => window.clearTimeout(timer);
  }, [initiatorDraft, filters.initiator]);

  const titleOf = (key: string) => runbooks.find((runbook) => runbook.key === key)?.title ?? key;
  const next = page ? (filters.sort === 'oldest' ? page.nextAfterId : page.nextBeforeId) : null;
  const firstShown = (cursors.length - 1) * PAGE_SIZE + 1;

  return (
    <Box variant="grey" data-testid="runs-screen">
      <ScreenTitle title="Run history" subtitle="Every runbook run, from the panel, the CLI and the deploy hook." />
      {initial.ignored.length > 0 && (
        <MessageBox mb="lg" variant="info" data-testid="ignored-filters">
          <Text>Ignored filters the address named but that make no sense: {initial.ignored.join('; ')}.</Text>
        </MessageBox>
      )}
      <Box variant="container" mb="xl">
        <Box flex flexDirection="row" flexWrap="wrap" alignItems="flex-end">
          <FilterSelect
            id="runbook"
            label="Runbook"
            value={filters.runbook}
            options={[{ value: '', label: 'All runbooks' }, ...runbooks.map((runbook) => ({ value: runbook.key, label: runbook.title }))]}
            onChange={(value) => change({ runbook: value })}
          />
          <FilterSelect
            id="status"
            label="Status"
            value={filters.status}
            options={[{ value: '', label: 'Any status' }, ...statuses.map((value) => ({ value, label: value }))]}
            onChange={(value) => change({ status: value })}
          />
          <FilterSelect
            id="outcome"
            label="Outcome"
            value={filters.outcome}
            options={[{ value: '', label: 'Any outcome' }, ...outcomes.map((value) => ({ value, label: value.replace(/_/g, ' ') }))]}
            onChange={(value) => change({ outcome: value })}
          />
          <Box mr="lg" mb="md">
            <Label htmlFor="initiator">Initiator</Label>
            <Input id="initiator" value={initiatorDraft} placeholder="e-mail or name" maxLength={200} onChange={(event: React.ChangeEvent<HTMLInputElement>) => setInitiatorDraft(event.target.value)} data-testid="filter-initiator" />
          </Box>
          <Box mr="lg" mb="md">
            <Label htmlFor="since">Created from</Label>
            <Input id="since" type="date" value={filters.since} onChange={(event: React.ChangeEvent<HTMLInputElement>) => change({ since: event.target.value })} data-testid="filter-since" />
          </Box>
          <Box mr="lg" mb="md">
            <Label htmlFor="until">Created until</Label>
            <Input id="until" type="date" value={filters.until} onChange={(event: React.ChangeEvent<HTMLInputElement>) => change({ until: event.target.value })} data-testid="filter-until" />
          </Box>
          <FilterSelect
            id="sort"
            label="Sort"
            value={filters.sort}
            options={[
              { value: 'newest', label: 'Newest first' },
              { value: 'oldest', label: 'Oldest first' },
            ]}
            onChange={(value) => change({ sort: value === 'oldest' ? 'oldest' : 'newest' })}
          />
          <Box mb="md">
            <Button
              type="button"
              variant="text"
              onClick={() => {
                setInitiatorDraft('');
                change(noFilters);
              }}
              data-testid="filter-reset"
            >
              Reset
            </Button>
          </Box>
        </Box>
      </Box>

      <Box variant="container">
        {error && <MessageBox mb="lg" variant="danger" message={error} data-testid="runs-error" />}
        {page && (
          <Text mb="md" data-testid="runs-total" data-total={page.total}>
            {page.total === 0 ? 'No runs match.' : `Runs ${firstShown}–${firstShown + page.runs.length - 1} of ${page.total.toLocaleString('en-US')}`}
            {loading && ' · loading…'}
          </Text>
        )}
        {!page && loading && <Loader />}
        {page && page.runs.length > 0 && (
          <Table data-testid="runs-table" style={{ width: '100%' }}>
            <TableHead>
              <TableRow>
                <TableCell>Run</TableCell>
                <TableCell>Runbook</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Outcome</TableCell>
                <TableCell>Scope</TableCell>
                <TableCell>Initiator</TableCell>
                <TableCell>Source</TableCell>
                <TableCell>Started</TableCell>
                <TableCell>Duration</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {page.runs.map((run) => (
                <TableRow key={run.id} data-testid="run-row" data-run-id={run.id}>
                  <TableCell>
                    <Link to={`${OPS_ROOT}/runs/${run.id}`}>#{run.id}</Link>
                  </TableCell>
                  <TableCell>{titleOf(run.runbook)}</TableCell>
                  <TableCell>
                    <RunBadge kind="status" value={run.status} />
                  </TableCell>
                  <TableCell>
                    <RunBadge kind="outcome" value={run.outcome} />
                  </TableCell>
                  <TableCell>{scopeLabel(run)}</TableCell>
                  <TableCell>{run.initiator}</TableCell>
                  <TableCell>{sourceLabels[run.source] ?? run.source}</TableCell>
                  <TableCell>{formatDateTime(run.startedAt ?? run.createdAt)}</TableCell>
                  <TableCell>{run.status === 'completed' ? formatDuration(run.durationSeconds) : 'in progress'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        <Box flex flexDirection="row" mt="lg" style={{ gap: 12 }}>
          <Button type="button" variant="outlined" size="sm" disabled={cursors.length <= 1 || loading} onClick={() => setCursors((list) => list.slice(0, -1))} data-testid="page-previous">
            ← Previous
          </Button>
          <Button
            type="button"
            variant="outlined"
            size="sm"
            disabled={next === null || loading}
            onClick={() => next !== null && setCursors((list) => [...list, next])}
            data-testid="page-next"
          >
            Next →
          </Button>
        </Box>
      </Box>
    </Box>
  );
};

export default RunHistoryScreen;
