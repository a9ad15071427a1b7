/**
 * The aggregation engine: mingo (MongoDB's query language for in-memory objects), with every operator it has, and
 * these changes where MongoDB, and so CloudBase, behave otherwise:
 *   - $push and $addToSet skip documents where the expression is missing (MongoDB's accumulator_push.cpp:
 *     `if (!input.missing())`); mingo pushes null for them.
 *   - $indexOfCP, which mingo lacks.
 *   - geo query operators ($geoWithin, $geoIntersects) for $match; $near/$nearSphere are refused there as MongoDB
 *     does ("not allowed in this context"); the $geoNear stage is run by aggregate.ts before mingo.
 *   - no server-side JavaScript ($where, $function, $accumulator): CloudBase runs none.
 */
import { Aggregator } from 'mingo/aggregator';
import { Context, evalExpr, ProcessingMode } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';
import type { AnyObject, Options } from 'mingo/types';
import { DevCloudError, failedOperation } from './errors';
import { anyGeometry, geoIntersectsTest, geoWithinTest } from './geo';
import { resolvePath, splitPath } from './paths';

/** Operator signatures (mingo's own types are unions of every operator's, too wide to implement against). */
type AccumulatorOperator = (collection: AnyObject[], expr: unknown, options: Options) => unknown;
type ExpressionOperator = (obj: AnyObject, expr: unknown, options: Options) => unknown;
type QueryOperator = (selector: string, value: unknown, options: Options) => (obj: AnyObject) => boolean;

const $push = accumulatorOperators.$push as AccumulatorOperator;
const $addToSet = accumulatorOperators.$addToSet as AccumulatorOperator;

/** An accumulator that sees only the documents where its expression is not missing. */
function skippingMissing(accumulate: AccumulatorOperator): AccumulatorOperator {
  return (collection, expr, options) => {
    const types = $push(collection, { $type: expr }, options) as unknown[];
    return accumulate(
      collection.filter((unused, i) => types[i] !== 'missing'),
      expr,
      options,
    );
  };
}

/** `$indexOfCP: [string, substring, start?, end?]`: like $indexOfBytes, counted in code points. */
const $indexOfCP: ExpressionOperator = (obj, expr, options) => {
  const args = evalExpr(obj, expr, options) as unknown[];
  const [text, search, start = 0, end] = Array.isArray(args) ? args : [];
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string' || typeof search !== 'string') {
    throw failedOperation('Location40093', '$indexOfCP requires a string as the first and second argument');
  }
  const points = Array.from(text);
  const wanted = Array.from(search);
  const stop = typeof end === 'number' ? Math.min(end, points.length) : points.length;
  for (let i = typeof start === 'number' ? start : 0; i + wanted.length <= stop; i += 1) {
    if (wanted.every((point, j) => points[i + j] === point)) return i;
  }
  return -1;
};

const geoQuery =
  (testOf: typeof geoWithinTest): QueryOperator =>
  (selector, value) => {
    const test = testOf(value);
    return (obj: AnyObject) => anyGeometry(resolvePath(obj, splitPath(selector)), test);
  };

const notInThisContext: QueryOperator = () => {
  throw failedOperation('BadValue', '$geoNear, $near, and $nearSphere are not allowed in this context');
};

const CONTEXT = Context.init({
  accumulator: { ...accumulatorOperators, $push: skippingMissing($push), $addToSet: skippingMissing($addToSet) },
  expression: { ...expressionOperators, $indexOfCP },
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: {
    ...queryOperators,
    $geoWithin: geoQuery(geoWithinTest),
    $geoIntersects: geoQuery(geoIntersectsTest),
    $near: notInThisContext,
    $nearSphere: notInThisContext,
  },
});

function options(collectionResolver?: (name: string) => AnyObject[]): Partial<Options> {
  return {
    context: CONTEXT,
    idKey: '_id',
    useStrictMode: true,
    scriptEnabled: false,
    // Inputs are stored documents (and other collections, for $lookup): operators must not change them.
    processingMode: ProcessingMode.CLONE_INPUT,
    ...(collectionResolver ? { collectionResolver } : {}),
  };
}

/** Errors of the engine (a bad operator, a bad argument) as the service relays MongoDB's. */
function asServiceError(error: unknown): Error {
  if (error instanceof DevCloudError) return error;
  return failedOperation('BadValue', error instanceof Error ? error.message : String(error));
}

export function runPipeline(
  documents: readonly AnyObject[],
  pipeline: AnyObject[],
  collectionResolver: (name: string) => AnyObject[],
): AnyObject[] {
  try {
    return new Aggregator(pipeline, options(collectionResolver)).run(documents as AnyObject[]);
  } catch (error) {
    throw asServiceError(error);
  }
}

/** `_.expr(...)` in a query: the aggregation expression's truth for one document. */
export function exprTest(expression: unknown): (doc: AnyObject) => boolean {
  let query: Query;
  try {
    query = new Query({ $expr: expression }, options());
  } catch (error) {
    throw asServiceError(error);
  }
  return (doc) => {
    try {
      return query.test(doc);
    } catch (error) {
      throw asServiceError(error);
    }
  };
}
