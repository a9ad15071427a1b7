/**
 * Geo queries on GeoJSON values, as the SDK writes them (db.Geo.Point(lng, lat) is stored as
 * `{type: 'Point', coordinates: [lng, lat]}`) and as its commands send them:
 *   _.geoNear({geometry, maxDistance?, minDistance?})  -> {$nearSphere: {$geometry, $maxDistance, $minDistance}}
 *   _.geoWithin({geometry}) | ({centerSphere})          -> {$geoWithin: {$geometry} | {$centerSphere: [[lng, lat], r]}}
 *   _.geoIntersects({geometry})                         -> {$geoIntersects: {$geometry}}
 * Distances are on a sphere of MongoDB's earth radius, in metres; containment and intersection are decided by
 * turf on the lng/lat plane (MongoDB's 2dsphere uses geodesic edges: the two agree but for long edges).
 */
import { booleanIntersects } from '@turf/boolean-intersects';
import { booleanWithin } from '@turf/boolean-within';
import { failedOperation } from './errors';
import { isList, isPlainObject, type PlainObject } from './values';

/** MongoDB's kRadiusOfEarthInMeters (src/mongo/db/geo/geoconstants.h), used by $nearSphere and $geoNear. */
export const EARTH_RADIUS_M = 6378100;

/** `[longitude, latitude]`. */
export type Position = number[];

/** A GeoJSON geometry (GeoJSON's own types come with turf; this is the part devcloud reads). */
export interface Geometry {
  type: string;
  coordinates: unknown;
}

/** What turf's predicates take. */
type TurfGeometry = Parameters<typeof booleanWithin>[0];

const GEOMETRY_TYPES = new Set(['Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon']);

/** A GeoJSON geometry of a type the SDK's db.Geo can write, with numeric coordinates. */
export function isGeometry(value: unknown): value is Geometry {
  if (!isPlainObject(value) || typeof value.type !== 'string' || !GEOMETRY_TYPES.has(value.type)) return false;
  return isList(value.coordinates) && positionsOf({ type: value.type, coordinates: value.coordinates }).length > 0;
}

function isPosition(value: unknown): value is Position {
  return (
    isList(value) &&
    value.length >= 2 &&
    typeof value[0] === 'number' &&
    typeof value[1] === 'number' &&
    Math.abs(value[0]) <= 180 &&
    Math.abs(value[1]) <= 90
  );
}

/** How deep positions sit in each type's coordinates. */
const NESTING: Record<string, number> = {
  Point: 0,
  MultiPoint: 1,
  LineString: 1,
  MultiLineString: 2,
  Polygon: 2,
  MultiPolygon: 3,
};

/** Every vertex of a geometry; empty when its coordinates are malformed. */
export function positionsOf(geometry: Geometry): Position[] {
  const flat: Position[] = [];
  const walk = (value: unknown, depth: number): boolean => {
    if (depth === 0) {
      if (!isPosition(value)) return false;
      flat.push(value);
      return true;
    }
    return isList(value) && value.every((item) => walk(item, depth - 1));
  };
  const depth = NESTING[geometry.type];
  return depth !== undefined && walk(geometry.coordinates, depth) ? flat : [];
}

/** Great-circle distance in metres (haversine). */
export function distanceMeters(from: Position, to: Position): number {
  const rad = Math.PI / 180;
  const [lng1, lat1, lng2, lat2] = [from[0] ?? 0, from[1] ?? 0, to[0] ?? 0, to[1] ?? 0].map((deg) => deg * rad) as [
    number,
    number,
    number,
    number,
  ];
  const h = Math.sin((lat2 - lat1) / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin((lng2 - lng1) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** From a point to a geometry: to the point itself, or to the nearest vertex of a line or polygon. */
export function distanceToGeometry(point: Position, geometry: Geometry): number {
  return Math.min(...positionsOf(geometry).map((vertex) => distanceMeters(point, vertex)));
}

function badValue(message: string): Error {
  return failedOperation('BadValue', message);
}

/** `{$geometry: <GeoJSON>}` of a geo operator, checked. */
function geometryArgument(operator: string, argument: unknown): Geometry {
  const geometry = isPlainObject(argument) ? argument.$geometry : undefined;
  if (!isGeometry(geometry)) throw badValue(`${operator} needs {$geometry: <GeoJSON Point, LineString, Polygon, ...>}`);
  return geometry;
}

/** `$nearSphere: {$geometry: Point, $maxDistance?, $minDistance?}` (metres). */
export interface NearSphere {
  point: Position;
  minDistance: number;
  maxDistance: number;
}

export function readNearSphere(argument: unknown): NearSphere {
  const geometry = geometryArgument('$nearSphere', argument);
  if (geometry.type !== 'Point') throw badValue('$nearSphere needs a GeoJSON Point as $geometry');
  const options = argument as PlainObject;
  const bound = (name: string, fallback: number): number => {
    const value = options[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || value < 0) throw badValue(`${name} must be a non-negative number`);
    return value;
  };
  return {
    point: positionsOf(geometry)[0] as Position,
    minDistance: bound('$minDistance', 0),
    maxDistance: bound('$maxDistance', Number.POSITIVE_INFINITY),
  };
}

/** The distance of the first geometry among `values` that lies within the bounds, or undefined. */
export function nearSphereDistance(values: readonly unknown[], near: NearSphere): number | undefined {
  for (const value of values) {
    if (!isGeometry(value)) continue;
    const distance = distanceToGeometry(near.point, value);
    if (distance >= near.minDistance && distance <= near.maxDistance) return distance;
  }
  return undefined;
}

type Test = (geometry: Geometry) => boolean;

/** `$geoWithin: {$geometry: Polygon | MultiPolygon}` or `{$centerSphere: [[lng, lat], radians]}`. */
export function geoWithinTest(argument: unknown): Test {
  if (isPlainObject(argument) && argument.$centerSphere !== undefined) {
    const [center, radians] = isList(argument.$centerSphere) ? argument.$centerSphere : [];
    if (!isPosition(center) || typeof radians !== 'number' || radians < 0) {
      throw badValue('$centerSphere needs [[longitude, latitude], radius in radians]');
    }
    const radius = radians * EARTH_RADIUS_M;
    return (geometry) => positionsOf(geometry).every((vertex) => distanceMeters(center, vertex) <= radius);
  }
  const container = geometryArgument('$geoWithin', argument);
  if (container.type !== 'Polygon' && container.type !== 'MultiPolygon') {
    throw badValue('$geoWithin needs a GeoJSON Polygon or MultiPolygon as $geometry');
  }
  const area = container as TurfGeometry;
  return (geometry) => booleanWithin(geometry as TurfGeometry, area);
}

/** `$geoIntersects: {$geometry: <any GeoJSON>}`. */
export function geoIntersectsTest(argument: unknown): Test {
  const other = geometryArgument('$geoIntersects', argument);
  return (geometry) => booleanIntersects(geometry as TurfGeometry, other as TurfGeometry);
}

/** Whether any GeoJSON value a path reached passes the test (non-geo values never match, as in MongoDB). */
export function anyGeometry(values: readonly unknown[], test: Test): boolean {
  return values.some((value) => isGeometry(value) && test(value));
}
