import type { SqliteDatabase } from '../../adapters/local/sqlite-database.ts';
import type { ImageStatus, Variant } from '../../core/image.ts';

/** What a backup needs to know about each image record: where its files are and which it must have. */
export interface SnapshotImage {
  tenant: string;
  imageId: string;
  status: ImageStatus;
  variants: Variant[];
}

export function readImages(db: SqliteDatabase): SnapshotImage[] {
  const rows = db
    .prepare<[], { tenant: string; imageId: string; status: ImageStatus; variants: string }>(
      'SELECT tenant, image_id AS imageId, status, variants FROM images',
    )
    .all();
  return rows.map((row) => ({ ...row, variants: JSON.parse(row.variants) as Variant[] }));
}
