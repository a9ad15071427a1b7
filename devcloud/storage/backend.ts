/**
 * Where stored objects live: a Map, or a directory. Both are keyed by cloudPath (already validated).
 *
 * On disk each object is `objects/<sha256(cloudPath)>.bin` plus `.json` metadata holding the cloudPath:
 * hashing keeps names short and flat, so keys like "a" and "a/b" (both legal in COS) never collide as
 * file and directory. The bytes are written first and renamed into place; the metadata file is the commit.
 */
import { createHash, randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import path from 'path';

export interface ObjectMeta {
  cloudPath: string;
  size: number;
  /** Set for files a mini-program user uploaded (wx.cloud.uploadFile); absent for server-side uploads. */
  ownerOpenid?: string;
  uploadedAt: number;
}

export interface StorageBackend {
  put(meta: ObjectMeta, bytes: Buffer): Promise<void>;
  get(cloudPath: string): Promise<Buffer | undefined>;
  stat(cloudPath: string): Promise<ObjectMeta | undefined>;
  /** True when something was deleted. */
  delete(cloudPath: string): Promise<boolean>;
  list(): Promise<ObjectMeta[]>;
}

export class MemoryBackend implements StorageBackend {
  private readonly objects = new Map<string, { meta: ObjectMeta; bytes: Buffer }>();

  async put(meta: ObjectMeta, bytes: Buffer): Promise<void> {
    // Copy, so a caller reusing its buffer cannot change what was stored.
    this.objects.set(meta.cloudPath, { meta: { ...meta }, bytes: Buffer.from(bytes) });
  }

  async get(cloudPath: string): Promise<Buffer | undefined> {
    const object = this.objects.get(cloudPath);
    return object && Buffer.from(object.bytes);
  }

  async stat(cloudPath: string): Promise<ObjectMeta | undefined> {
    const object = this.objects.get(cloudPath);
    return object && { ...object.meta };
  }

  async delete(cloudPath: string): Promise<boolean> {
    return this.objects.delete(cloudPath);
  }

  async list(): Promise<ObjectMeta[]> {
    return [...this.objects.values()].map((object) => ({ ...object.meta }));
  }
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}

async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

function isObjectMeta(value: unknown): value is ObjectMeta {
  if (typeof value !== 'object' || value === null) return false;
  const meta = value as Record<string, unknown>;
  return (
    typeof meta['cloudPath'] === 'string' &&
    typeof meta['size'] === 'number' &&
    typeof meta['uploadedAt'] === 'number' &&
    (meta['ownerOpenid'] === undefined || typeof meta['ownerOpenid'] === 'string')
  );
}

export class DiskBackend implements StorageBackend {
  private readonly objectsDir: string;

  constructor(dir: string) {
    this.objectsDir = path.join(dir, 'objects');
  }

  private file(cloudPath: string, ext: '.bin' | '.json'): string {
    return path.join(this.objectsDir, createHash('sha256').update(cloudPath).digest('hex') + ext);
  }

  private async writeAtomic(target: string, data: Buffer | string): Promise<void> {
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, target);
  }

  async put(meta: ObjectMeta, bytes: Buffer): Promise<void> {
    await fs.mkdir(this.objectsDir, { recursive: true });
    await this.writeAtomic(this.file(meta.cloudPath, '.bin'), bytes);
    await this.writeAtomic(this.file(meta.cloudPath, '.json'), JSON.stringify(meta));
  }

  async get(cloudPath: string): Promise<Buffer | undefined> {
    if (!(await this.stat(cloudPath))) return undefined;
    return orUndefined(fs.readFile(this.file(cloudPath, '.bin')));
  }

  async stat(cloudPath: string): Promise<ObjectMeta | undefined> {
    const meta = await this.readMeta(this.file(cloudPath, '.json'));
    return meta?.cloudPath === cloudPath ? meta : undefined;
  }

  async delete(cloudPath: string): Promise<boolean> {
    const existed = (await this.stat(cloudPath)) !== undefined;
    // Metadata first: without it the object no longer exists, even if removing the bytes fails.
    await orUndefined(fs.unlink(this.file(cloudPath, '.json')));
    await orUndefined(fs.unlink(this.file(cloudPath, '.bin')));
    return existed;
  }

  async list(): Promise<ObjectMeta[]> {
    const names = (await orUndefined(fs.readdir(this.objectsDir))) ?? [];
    const metas = await Promise.all(
      names.filter((name) => name.endsWith('.json')).map((name) => this.readMeta(path.join(this.objectsDir, name))),
    );
    return metas.filter((meta): meta is ObjectMeta => meta !== undefined);
  }

  private async readMeta(file: string): Promise<ObjectMeta | undefined> {
    const text = await orUndefined(fs.readFile(file, 'utf8'));
    if (text === undefined) return undefined;
    const parsed: unknown = JSON.parse(text);
    return isObjectMeta(parsed) ? parsed : undefined;
  }
}
