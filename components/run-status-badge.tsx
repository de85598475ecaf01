// A status or outcome shown as a coloured badge (runs and run items), in lists and on record pages.
import { Badge } from '@adminjs/design-system';
import React from 'react';

interface BadgeProps {
  property: { path: string };
  record?: { params: Record<string, unknown> };
}

type Variant = 'primary' | 'danger' | 'success' | 'info' | 'secondary' | 'light' | 'default';

const variants: Record<string, Variant> = {
  queued: 'secondary',
  pending: 'light',
  running: 'info',
  completed: 'primary',
  succeeded: 'success',
  partially_succeeded: 'secondary',
  failed: 'danger',
  cancelled: 'light',
};

const RunStatusBadge: React.FC<BadgeProps> = ({ property, record }) => {
  const value = record?.params[property.path];
  if (typeof value !== 'string' || value === '') return null;
  return (
    <Badge variant={variants[value] ?? 'default'} size="sm" data-testid={`badge-${property.path}`}>
      {value.replace(/_/g, ' ')}
    </Badge>
  );
};

export default RunStatusBadge;
