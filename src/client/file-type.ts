import type { components } from './openapi.ts';

/** The image types the API accepts. */
export type ImageType = components['schemas']['UploadRequest']['fileType'];

const BY_EXTENSION: Record<string, ImageType> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
};

/** File name extensions the API's types go by, for the CLI's directory walk. */
export const IMAGE_EXTENSIONS = Object.keys(BY_EXTENSION);

const EXTENSION_OF: Record<ImageType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/tiff': 'tiff',
};

/** The type a file name's extension stands for, if it is one the API accepts. */
export function typeFromName(name: string): ImageType | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

/** A file extension for a type, for naming downloads and nameless uploads. */
export function extensionFor(type: string): string {
  return EXTENSION_OF[type as ImageType] ?? 'bin';
}

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, end));

/** The type the first bytes of a file say it is (the server checks the same magic numbers). */
export function typeFromBytes(head: Uint8Array): ImageType | undefined {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head[0] === 0x89 && ascii(head, 1, 4) === 'PNG') return 'image/png';
  if (ascii(head, 0, 4) === 'GIF8') return 'image/gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(head, 4, 8) === 'ftyp' && /^avi[fs]$/.test(ascii(head, 8, 12))) return 'image/avif';
  const tiff = ascii(head, 0, 4);
  if (tiff === 'II*\0' || tiff === 'MM\0*') return 'image/tiff';
  return undefined;
}
