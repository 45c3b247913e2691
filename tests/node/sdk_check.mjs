// The official Node SDK (telnyx on npm, 7.x) against a running emulator.
//
// Run by tests/test_sdk_node.py with TELNYX_BASE_URL and TELNYX_API_KEY set, on an
// emulator holding its default fixtures. The client is built with no options, so
// the SDK finds the emulator through the environment, as a user's code would.
// Prints "ok <check>" per check and exits 0 only when every check passed.

import assert from 'node:assert/strict';
import Telnyx from 'telnyx';
import { VERSION } from 'telnyx/version';

// Records of the default fixtures, the ones openapi.yml's examples name: Telnyx's
// own example number, its address requirement, an address, and a US requirement group.
const NUMBER_ID = 'dc8e4d67-33a0-4cbb-af74-7b58f05bd494';
const REQUIREMENT_ID = '8ffb3622-7c6b-4ccc-b65f-7a3dc0099576';
const ADDRESS_ID = '45f45a04-b4be-4592-95b1-9306b9db2b21';
const GROUP_ID = '042bfd5e-9c1b-4839-a61e-d8ff8ef059c1';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const client = new Telnyx();
const numbers = client.numberOrderPhoneNumbers;
let passed = 0;

async function check(name, body) {
  try {
    await body();
  } catch (error) {
    console.log(`FAIL ${name}: ${error?.stack ?? error}`);
    process.exit(1);
  }
  passed += 1;
  console.log(`ok ${name}`);
}

async function rejection(promise, errorClass) {
  const error = await promise.then(
    () => assert.fail(`expected ${errorClass.name}, got a success`),
    (caught) => caught,
  );
  assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${error}`);
  assert.ok(error.headers.get('x-request-id'), 'the error carries x-request-id');
  return error;
}

function valueOf(number, requirementId) {
  return number.regulatory_requirements.find((item) => item.requirement_id === requirementId)
    .field_value;
}

await check('retrieve', async () => {
  const { data, response } = await numbers.retrieve(NUMBER_ID).withResponse();
  assert.equal(response.status, 200);
  assert.ok(response.headers.get('x-request-id'));
  assert.equal(data.data.id, NUMBER_ID);
  assert.equal(data.data.requirements_status, 'requirement-info-pending');
  assert.equal(valueOf(data.data, REQUIREMENT_ID), '');
});

await check('list', async () => {
  const everything = await numbers.list();
  const us = await numbers.list({ filter: { country_code: 'US' } });
  assert.equal(everything.meta.total_results, everything.data.length);
  assert.ok(us.data.length > 0 && us.data.length < everything.data.length);
  assert.ok(us.data.every((number) => number.country_code === 'US'));
  assert.ok(us.data.some((number) => number.id === NUMBER_ID));
});

await check('updateRequirements without a body changes nothing', async () => {
  const before = await numbers.retrieve(NUMBER_ID);
  const after = await numbers.updateRequirements(NUMBER_ID);
  assert.deepEqual(after, before);
});

await check('updateRequirements, read back by retrieve and list', async () => {
  const updated = await numbers.updateRequirements(NUMBER_ID, {
    regulatory_requirements: [{ requirement_id: REQUIREMENT_ID, field_value: ADDRESS_ID }],
  });
  assert.equal(updated.data.requirements_met, true);
  assert.equal(updated.data.requirements_status, 'requirement-info-under-review');
  const retrieved = await numbers.retrieve(NUMBER_ID);
  assert.deepEqual(retrieved.data, updated.data);
  const listed = await numbers.list({ filter: { country_code: 'US' } });
  const inList = listed.data.find((number) => number.id === NUMBER_ID);
  assert.equal(valueOf(inList, REQUIREMENT_ID), ADDRESS_ID);
});

await check('updateRequirementGroup, read back by retrieve', async () => {
  const grouped = await numbers.updateRequirementGroup(NUMBER_ID, {
    requirement_group_id: GROUP_ID,
  });
  assert.deepEqual(
    grouped.data.regulatory_requirements.map((item) => [item.requirement_id, item.status]),
    [[REQUIREMENT_ID, 'pending-approval']],
  );
  const retrieved = await numbers.retrieve(NUMBER_ID);
  assert.equal(valueOf(retrieved.data, REQUIREMENT_ID), ADDRESS_ID);
  assert.equal(retrieved.data.requirements_status, 'requirement-info-under-review');
});

await check('404 is NotFoundError', async () => {
  const error = await rejection(numbers.retrieve(UNKNOWN_ID), Telnyx.NotFoundError);
  assert.equal(error.status, 404);
  assert.equal(error.error.errors[0].code, '10005');
  assert.ok(error.error.errors[0].detail.includes(UNKNOWN_ID));
});

await check('an id with a slash is NotFoundError for that id', async () => {
  const error = await rejection(numbers.retrieve('x/requirement_group'), Telnyx.NotFoundError);
  assert.ok(error.error.errors[0].detail.includes("'x/requirement_group'"));
});

await check('422 is UnprocessableEntityError', async () => {
  const error = await rejection(
    numbers.updateRequirementGroup(NUMBER_ID, { requirement_group_id: UNKNOWN_ID }),
    Telnyx.UnprocessableEntityError,
  );
  assert.equal(error.status, 422);
  assert.deepEqual(
    error.error.errors.map((item) => [item.code, item.source.pointer]),
    [['10017', '/requirement_group_id']],
  );
});

console.log(`telnyx ${VERSION} for Node: all ${passed} checks passed`);
