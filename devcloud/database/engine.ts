/**
 * The aggregation engine: mingo (MongoDB's query language for in-memory objects), with every operator it has, and
 * these changes where MongoDB, and so CloudBase, behave otherwise:
 *   - $push and $addToSet skip documents where the expression is missing (MongoDB's accumulator_push.cpp:
 *     `if (!input.missing())`); mingo pushes null for them.
 *   - one-argument operators take their argument bare or in a one-element array (`{$size: ['$a']}`), $trunc a bare
 *     number; mingo takes one form only.
 *   - $week counts weeks from the year's first Sunday (strftime's %U); mingo answers the ISO week.
 *   - $bucket is MongoDB's own desugaring, $group on a $switch then $sort on _id: values on a boundary go to the
 *     bucket it opens, and empty buckets are left out (mingo files boundary values one bucket low and lists every
 *     bucket, empty ones included).
 *   - $indexOfCP, which mingo lacks.
 *   - $sample draws each document at most once (mingo draws with replacement).
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
import { Lazy } from 'mingo/lazy';
import { Query } from 'mingo/query';
import type { AnyObject, Options } from 'mingo/types';
import { DevCloudError, failedOperation } from './errors';
import { anyGeometry, geoIntersectsTest, geoWithinTest } from './geo';
import { resolvePath, splitPath } from './paths';
import { isPlainObject } from './values';

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

const expression = expressionOperators as unknown as Record<string, ExpressionOperator>;

/** MongoDB's fixed-arity parsing: `{$op: [x]}` is `{$op: x}`. */
const ONE_ARGUMENT = [
  '$abs',
  '$ceil',
  '$exp',
  '$floor',
  '$ln',
  '$log10',
  '$sqrt',
  '$reverseArray',
  '$size',
  '$strLenBytes',
  '$strLenCP',
  '$objectToArray',
  '$dayOfMonth',
  '$dayOfWeek',
  '$dayOfYear',
  '$isoDayOfWeek',
  '$isoWeek',
  '$isoWeekYear',
  '$millisecond',
  '$minute',
  '$month',
  '$second',
  '$hour',
  '$year',
];

function bareArgument(operator: ExpressionOperator): ExpressionOperator {
  return (obj, expr, options) => operator(obj, Array.isArray(expr) && expr.length === 1 ? expr[0] : expr, options);
}

const oneArgumentOperators = Object.fromEntries(
  ONE_ARGUMENT.map((name) => [name, bareArgument(expression[name] as ExpressionOperator)]),
);

/** `$trunc: <number>` or `[<number>, <place>?]`. */
const $trunc: ExpressionOperator = (obj, expr, options) =>
  (expression.$trunc as ExpressionOperator)(obj, Array.isArray(expr) ? expr : [expr], options);

/** MongoDB's $week: 0 to 53, weeks begin on Sunday, days before the year's first Sunday are week 0 (%U). */
const $week: ExpressionOperator = (obj, expr, options) => {
  const dayOfYear = oneArgumentOperators.$dayOfYear!(obj, expr, options);
  const dayOfWeek = oneArgumentOperators.$dayOfWeek!(obj, expr, options);
  if (typeof dayOfYear !== 'number' || typeof dayOfWeek !== 'number') return null;
  return Math.floor((dayOfYear - 1 + 7 - (dayOfWeek - 1)) / 7);
};

/** The default of a $bucket without one: MongoDB fails the stage when a value falls outside every bucket. */
const $devcloudOutOfBuckets: ExpressionOperator = () => {
  throw failedOperation(
    'Location40066',
    '$switch could not find a matching branch for an input, and no default was specified.',
  );
};

/** `$bucket` as MongoDB runs it (document_source_bucket.cpp): a $group keyed by a $switch, then a $sort on _id. */
function desugarBucket(spec: unknown): AnyObject[] {
  if (!isPlainObject(spec) || !Array.isArray(spec.boundaries) || spec.boundaries.length < 2) {
    throw failedOperation('Location40192', "The $bucket 'boundaries' field must be an array of at least two values");
  }
  const bounds = spec.boundaries as unknown[];
  const branches = bounds.slice(0, -1).map((lower, i) => ({
    case: {
      $and: [{ $gte: [spec.groupBy, { $literal: lower }] }, { $lt: [spec.groupBy, { $literal: bounds[i + 1] }] }],
    },
    then: { $literal: lower },
  }));
  const fallback = spec.default === undefined ? { $devcloudOutOfBuckets: 1 } : { $literal: spec.default };
  const output = isPlainObject(spec.output) ? spec.output : { count: { $sum: 1 } };
  return [{ $group: { _id: { $switch: { branches, default: fallback } }, ...output } }, { $sort: { _id: 1 } }];
}

/**
 * `$sample` without replacement, as MongoDB samples a collection this small (a random sort, then the first `size`):
 * mingo draws with replacement, so one document could come out twice.
 */
const $sample: typeof pipelineOperators.$sample = (collection, expr) =>
  collection.transform((documents) => {
    const pool = [...documents];
    for (let i = 0; i < Math.min(expr.size, pool.length); i += 1) {
      const j = i + Math.floor(Math.random() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return Lazy(pool.slice(0, expr.size));
  });

/** The pipeline with the stages devcloud runs its own way rewritten, $lookup pipelines included. */
function desugar(pipeline: readonly AnyObject[]): AnyObject[] {
  return pipeline.flatMap((stage): AnyObject[] => {
    if ('$bucket' in stage) return desugarBucket(stage.$bucket);
    const lookup = stage.$lookup;
    if (isPlainObject(lookup) && Array.isArray(lookup.pipeline)) {
      return [{ $lookup: { ...lookup, pipeline: desugar(lookup.pipeline as AnyObject[]) } }];
    }
    return [stage];
  });
}

const CONTEXT = Context.init({
  accumulator: { ...accumulatorOperators, $push: skippingMissing($push), $addToSet: skippingMissing($addToSet) },
  expression: { ...expressionOperators, ...oneArgumentOperators, $trunc, $week, $indexOfCP, $devcloudOutOfBuckets },
  pipeline: { ...pipelineOperators, $sample },
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
    return new Aggregator(desugar(pipeline), options(collectionResolver)).run(documents as AnyObject[]);
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
