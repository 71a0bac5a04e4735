import { after } from 'node:test';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { e2eSuite } from './e2e-suite.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

e2eSuite('kafka');
