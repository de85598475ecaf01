// /admin: the customer's start page — what they can look at in their own workspace (no maintenance actions here).
import { Box, H2, Text } from '@adminjs/design-system';
import React from 'react';
import { Link } from 'react-router-dom';

const tiles = [
  { to: '/admin/resources/tenants', title: 'Tenants', text: 'The tenants of your workspace.' },
  { to: '/admin/resources/findings', title: 'Findings', text: 'Security and drift findings, with severity, status and due dates. Filter by any of them.' },
];

const AdminHome: React.FC = () => (
  <Box variant="grey" data-testid="admin-home">
    <Box variant="white" mb="xl">
      <H2>Your workspace</H2>
      <Text color="grey80">Read-only views of your own tenants and their findings.</Text>
    </Box>
    <Box flex flexDirection="row" flexWrap="wrap">
      {tiles.map((tile) => (
        <Box key={tile.to} variant="container" mr="xl" mb="xl" style={{ flex: '1 1 240px' }}>
          <Link to={tile.to} style={{ textDecoration: 'none' }}>
            <Text fontSize="h5" fontWeight="bold" mb="sm">
              {tile.title}
            </Text>
          </Link>
          <Text color="grey80">{tile.text}</Text>
        </Box>
      ))}
    </Box>
  </Box>
);

export default AdminHome;
