import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';

export interface PngDiff {
  /** Pixels that differ by more than the colour threshold, anti-aliasing differences not counted. */
  differentPixels: number;
  /** The changed pixels in red over a faded copy of the expected picture (encoded on demand: encoding takes seconds). */
  diffImage?: () => Buffer;
  sizeChange?: string;
}

/**
 * pixelmatch's YIQ colour distance per pixel (0.1: its default), ignoring pixels it recognises as anti-aliasing,
 * which is where two runs of a browser differ when nothing on the page has changed.
 */
export function diffPng(expected: Buffer, actual: Buffer, threshold = 0.1): PngDiff {
  const a = PNG.sync.read(expected);
  const b = PNG.sync.read(actual);
  if (a.width !== b.width || a.height !== b.height) {
    return { differentPixels: Infinity, sizeChange: `${a.width}x${a.height} -> ${b.width}x${b.height}` };
  }
  const diff = new PNG({ width: a.width, height: a.height });
  const differentPixels = pixelmatch(a.data, b.data, diff.data, a.width, a.height, { threshold });
  return { differentPixels, diffImage: () => PNG.sync.write(diff, { filterType: 0 }) };
}
