import exifr from 'exifr';
import type { ExifSummary } from './image.ts';

const PICK = [
  'Make',
  'Model',
  'LensModel',
  'DateTimeOriginal',
  'CreateDate',
  'ExposureTime',
  'FNumber',
  'ISO',
  'FocalLength',
  'GPSLatitude',
  'GPSLongitude',
  'GPSLatitudeRef',
  'GPSLongitudeRef',
];

type RawExif = Record<string, unknown> & { latitude?: number; longitude?: number };

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : null);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const pad = (n: number) => String(n).padStart(2, '0');
/**
 * EXIF dates carry no time zone: they are the camera's wall clock. exifr builds them in
 * local time, so read them back with local getters and report them without a zone.
 */
const date = (v: unknown) =>
  v instanceof Date && !Number.isNaN(v.getTime())
    ? `${v.getFullYear()}-${pad(v.getMonth() + 1)}-${pad(v.getDate())}T${pad(v.getHours())}:${pad(v.getMinutes())}:${pad(v.getSeconds())}`
    : null;

/** The EXIF fields users ask about; null when the file has none. Malformed EXIF is ignored, not fatal. */
export async function readExif(path: string): Promise<ExifSummary | null> {
  let raw: RawExif | undefined;
  try {
    raw = (await exifr.parse(path, { pick: PICK, gps: true, reviveValues: true })) as RawExif | undefined;
  } catch {
    return null;
  }
  if (!raw) return null;
  const latitude = num(raw.latitude);
  const longitude = num(raw.longitude);
  const summary: ExifSummary = {
    make: text(raw.Make),
    model: text(raw.Model),
    lens: text(raw.LensModel),
    takenAt: date(raw.DateTimeOriginal) ?? date(raw.CreateDate),
    exposureTime: num(raw.ExposureTime),
    fNumber: num(raw.FNumber),
    iso: num(raw.ISO),
    focalLength: num(raw.FocalLength),
    gps: latitude !== null && longitude !== null ? { latitude, longitude } : null,
  };
  return Object.values(summary).some((v) => v !== null) ? summary : null;
}
