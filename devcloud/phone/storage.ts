import { existsSync, readFileSync, writeFileSync } from 'fs';

/** wx storage: kept per device; optionally mirrored to a JSON file so it survives the process too. */
export class DeviceStorage {
  private readonly items = new Map<string, string>();

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      for (const [key, value] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>))
        this.items.set(key, value);
    }
  }

  get(key: string): unknown {
    const raw = this.items.get(key);
    return raw === undefined ? '' : (JSON.parse(raw) as unknown); // wx.getStorageSync answers '' for a missing key
  }

  set(key: string, value: unknown): void {
    this.items.set(key, JSON.stringify(value));
    this.flush();
  }

  remove(key: string): void {
    this.items.delete(key);
    this.flush();
  }

  clear(): void {
    this.items.clear();
    this.flush();
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** The raw stored text, for tests that check nothing secret is kept on the device. */
  dump(): string {
    return JSON.stringify(Object.fromEntries(this.items));
  }

  private flush(): void {
    if (this.file) writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.items)));
  }
}
