import type { StateChange } from '../../core/image-state.ts';
import type { StepUpdate } from '../../ports/image-repository.ts';
import { Expression, updateExpression } from './dynamo-expression.ts';
import { expiryShard, ttlSecondsOf } from './dynamo-image-items.ts';
import { TTL_ATTRIBUTE } from './dynamo-table.ts';

/** The expression part of an UpdateItem (or of a transaction's Update). */
export interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * One transition as one conditional update: status and its index partition (copied from the
 * item's `statusPks`, as an update cannot concatenate), the fields (attributes are named like
 * them), the steps as nested SETs, and the sweep and TTL attributes that follow from them.
 */
export function transitionUpdate(imageId: string, change: StateChange): UpdateParts {
  const x = new Expression();
  const set = [
    `${x.name('status')} = ${x.value(change.to)}`,
    `${x.name('statusPk')} = ${x.path('statusPks', change.to)}`,
  ];
  const remove: string[] = [];
  for (const [field, value] of Object.entries(change.set)) {
    if (value === undefined) continue;
    if (field !== 'expiresAt') set.push(`${x.name(field)} = ${x.value(value)}`);
    // A key attribute of the expiry index is a number or absent, never NULL.
    else if (value === null) remove.push(x.name('expiresAt'), x.name(TTL_ATTRIBUTE), x.name('expiryShard'));
    else {
      set.push(`${x.name('expiresAt')} = ${x.value(value)}`);
      set.push(`${x.name(TTL_ATTRIBUTE)} = ${x.value(ttlSecondsOf(value as number))}`);
      set.push(`${x.name('expiryShard')} = ${x.value(expiryShard(imageId))}`);
    }
  }
  for (const [step, state] of Object.entries(change.steps ?? {})) {
    set.push(`${x.path('steps', step)} = ${x.value(state)}`);
  }
  // Out of pending, an upload claim means nothing and the pending sweep no longer applies
  // (REMOVE of an absent attribute is a no-op, so `fail` from processing is unharmed).
  if (change.from.includes('pending') && change.to !== 'pending') {
    remove.push(x.name('uploadClaimedAt'), x.name('pendingShard'));
  }
  const conditions = [`${x.name('status')} IN (${change.from.map((status) => x.value(status)).join(', ')})`];
  if (change.attemptsBelow !== undefined) {
    conditions.push(`${x.name('attempts')} < ${x.value(change.attemptsBelow)}`);
  }
  return {
    UpdateExpression: updateExpression({ set, remove }),
    ConditionExpression: conditions.join(' AND '),
    ...x.attributes(),
  };
}

/**
 * One finished step as an update that holds only while the image is processing: variants
 * join the string set, documents are stored as JSON, `terms` replaces the image's list of
 * search entries (the entries themselves are written beside it in the same transaction).
 */
export function stepUpdate(update: StepUpdate, now: number, terms?: string[]): UpdateParts {
  const x = new Expression();
  const set = [
    `${x.path('steps', update.step)} = ${x.value(update.state)}`,
    `${x.name('updatedAt')} = ${x.value(now)}`,
    `${x.name('message')} = ${x.value(`Processing: ${update.step} ${update.state}`)}`,
  ];
  for (const field of ['metadata', 'placeholder', 'analysis'] as const) {
    if (update[field] !== undefined) set.push(`${x.name(field)} = ${x.value(JSON.stringify(update[field]))}`);
  }
  if (terms) set.push(`${x.name('searchTerms')} = ${x.value(terms)}`);
  // An empty string set is not a DynamoDB value: add only when there is something to add.
  const add = update.variants?.length ? [`${x.name('variants')} ${x.value(new Set(update.variants))}`] : [];
  return {
    UpdateExpression: updateExpression({ set, add }),
    ConditionExpression: `${x.name('status')} = ${x.value('processing')}`,
    ...x.attributes(),
  };
}
