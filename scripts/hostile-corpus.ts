import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { pngBomb } from './png-bomb.ts';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const BOMB = `${FIXTURES}hostile/png-bomb-40000x40000.png`;

/** What a hostile or odd file must lead to: a 4xx when asking or uploading, or a final status. */
export type Expectation =
  | { at: 'request'; status: number; code: string }
  | { at: 'upload'; status: number; code: string }
  | { at: 'processing'; status: 'failed'; code: string }
  | { at: 'processing'; status: 'completed' };

export interface CorpusCase {
  name: string;
  fileName: string;
  /** The type the client declares when asking for the upload URL. */
  fileType: string;
  /** The Content-Type of the PUT; the declared type unless the case is about a mismatch. */
  putType?: string;
  bytes: () => Promise<Buffer>;
  expect: Expectation;
}

const photo = () => readFileSync(`${FIXTURES}coffee.jpg`);
const small = () => sharp(photo()).resize(320, 240);

/** A JPEG whose SOF header claims `width`×`height`; the scan data stays that of a small image. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const bytes = Buffer.from(await small().jpeg({ progressive: false }).toBuffer());
  for (let i = 2; i < bytes.length - 9; i++) {
    if (bytes[i] === 0xff && (bytes[i + 1] === 0xc0 || bytes[i + 1] === 0xc2)) {
      bytes.writeUInt16BE(height, i + 5);
      bytes.writeUInt16BE(width, i + 7);
      return bytes;
    }
  }
  throw new Error('no SOF marker');
}

/** The 40000² PNG bomb, generated once (it takes seconds) and committed. */
export function pngBombBytes(): Buffer {
  if (!existsSync(BOMB)) writeFileSync(BOMB, pngBomb(40_000));
  return readFileSync(BOMB);
}

async function animatedOver(limitPixels: number, format: 'gif' | 'webp'): Promise<Buffer> {
  // Enough 1200×1000 frames to pass the limit together while each stays far below it. Each
  // frame has its own colour: GIF encoders merge identical consecutive frames.
  const count = Math.ceil(limitPixels / (1200 * 1000)) + 1;
  const frames = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      sharp({
        create: {
          width: 1200,
          height: 1000,
          channels: 3,
          background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 128 },
        },
      })
        .png()
        .toBuffer(),
    ),
  );
  const joined = sharp(frames, { join: { animated: true } });
  return format === 'gif' ? joined.gif().toBuffer() : joined.webp().toBuffer();
}

async function animated(format: 'gif' | 'webp'): Promise<Buffer> {
  const colours = ['#ff0000', '#00ff00', '#0000ff'];
  const frames = await Promise.all(
    colours.map((background) =>
      sharp({ create: { width: 200, height: 120, channels: 3, background } })
        .png()
        .toBuffer(),
    ),
  );
  const joined = sharp(frames, { join: { animated: true } });
  return format === 'gif' ? joined.gif().toBuffer() : joined.webp().toBuffer();
}

const SVG_PLAIN =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
const SVG_SCRIPT = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>';

/**
 * Hostile and odd inputs, each with the outcome the API promises. `maxPixels` and
 * `maxUploadBytes` are those of the server under test.
 */
export function hostileCorpus(limits: { maxPixels: number; maxUploadBytes: number }): CorpusCase[] {
  const failed = (code: string) => ({ at: 'processing', status: 'failed', code }) as const;
  const completed = { at: 'processing', status: 'completed' } as const;
  return [
    // Hostile: each must end in a clear 4xx or status failed with a code.
    {
      name: 'truncated JPEG',
      fileName: 'cut.jpg',
      fileType: 'image/jpeg',
      bytes: async () => photo().subarray(0, 4000),
      expect: failed('UNDECODABLE'),
    },
    {
      name: 'zero bytes',
      fileName: 'empty.jpg',
      fileType: 'image/jpeg',
      bytes: async () => Buffer.alloc(0),
      expect: { at: 'upload', status: 400, code: 'EMPTY_UPLOAD' },
    },
    {
      name: 'random bytes named .jpg',
      fileName: 'random.jpg',
      fileType: 'image/jpeg',
      bytes: async () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)),
      expect: { at: 'upload', status: 415, code: 'CONTENT_MISMATCH' },
    },
    {
      name: 'HTML declared image/jpeg',
      fileName: 'page.jpg',
      fileType: 'image/jpeg',
      bytes: async () => Buffer.from('<!doctype html><html><script>alert(1)</script></html>'),
      expect: { at: 'upload', status: 415, code: 'CONTENT_MISMATCH' },
    },
    {
      name: 'SVG declared image/svg+xml',
      fileName: 'logo.svg',
      fileType: 'image/svg+xml',
      bytes: async () => Buffer.from(SVG_PLAIN),
      expect: { at: 'request', status: 400, code: 'VALIDATION_ERROR' },
    },
    {
      name: 'SVG with <script> declared image/png',
      fileName: 'x.png',
      fileType: 'image/png',
      bytes: async () => Buffer.from(SVG_SCRIPT),
      expect: { at: 'upload', status: 415, code: 'CONTENT_MISMATCH' },
    },
    {
      name: 'PNG decompression bomb 40000×40000 (~1.5 MB)',
      fileName: 'bomb.png',
      fileType: 'image/png',
      bytes: async () => pngBombBytes(),
      expect: failed('TOO_MANY_PIXELS'),
    },
    {
      name: 'JPEG header claiming 65000×65000',
      fileName: 'huge.jpg',
      fileType: 'image/jpeg',
      bytes: () => jpegClaiming(65_000, 65_000),
      expect: failed('TOO_MANY_PIXELS'),
    },
    {
      name: 'JPEG with trailing HTML (polyglot)',
      fileName: 'poly.jpg',
      fileType: 'image/jpeg',
      bytes: async () => Buffer.concat([photo(), Buffer.from('<html><script>alert(1)</script></html>')]),
      expect: completed,
    },
    {
      name: 'animated GIF whose frames add up past MAX_PIXELS',
      fileName: 'frames.gif',
      fileType: 'image/gif',
      bytes: () => animatedOver(limits.maxPixels, 'gif'),
      expect: failed('TOO_MANY_PIXELS'),
    },
    {
      name: 'file over MAX_UPLOAD_BYTES',
      fileName: 'big.jpg',
      fileType: 'image/jpeg',
      bytes: async () => Buffer.concat([photo(), Buffer.alloc(limits.maxUploadBytes)]),
      expect: { at: 'upload', status: 413, code: 'PAYLOAD_TOO_LARGE' },
    },
    {
      name: 'Content-Type different from the signed one',
      fileName: 'a.png',
      fileType: 'image/png',
      putType: 'image/jpeg',
      bytes: async () => photo(),
      expect: { at: 'upload', status: 415, code: 'CONTENT_TYPE_MISMATCH' },
    },
    {
      name: 'fileName with ../',
      fileName: '../../../etc/passwd',
      fileType: 'image/jpeg',
      bytes: async () => photo(),
      expect: completed,
    },
    {
      name: 'fileName with NUL',
      fileName: 'a\u0000.jpg',
      fileType: 'image/jpeg',
      bytes: async () => photo(),
      expect: { at: 'request', status: 400, code: 'VALIDATION_ERROR' },
    },
    {
      name: 'fileName with RTL override',
      fileName: 'photo\u202egpj.exe',
      fileType: 'image/jpeg',
      bytes: async () => photo(),
      expect: { at: 'request', status: 400, code: 'VALIDATION_ERROR' },
    },
    {
      name: 'fileName of 4 KB',
      fileName: 'a'.repeat(4096),
      fileType: 'image/jpeg',
      bytes: async () => photo(),
      expect: { at: 'request', status: 400, code: 'VALIDATION_ERROR' },
    },
    // Odd but valid: each must complete correctly.
    {
      name: 'CMYK JPEG',
      fileName: 'cmyk.jpg',
      fileType: 'image/jpeg',
      bytes: () => small().toColourspace('cmyk').jpeg().toBuffer(),
      expect: completed,
    },
    {
      name: '16-bit PNG',
      fileName: 'deep.png',
      fileType: 'image/png',
      bytes: () => small().toColourspace('rgb16').png().toBuffer(),
      expect: completed,
    },
    {
      name: 'greyscale JPEG',
      fileName: 'grey.jpg',
      fileType: 'image/jpeg',
      bytes: () => small().greyscale().jpeg().toBuffer(),
      expect: completed,
    },
    {
      name: 'palette PNG with transparency',
      fileName: 'palette.png',
      fileType: 'image/png',
      bytes: () => small().ensureAlpha(0.5).png({ palette: true }).toBuffer(),
      expect: completed,
    },
    {
      name: 'animated GIF',
      fileName: 'anim.gif',
      fileType: 'image/gif',
      bytes: () => animated('gif'),
      expect: completed,
    },
    {
      name: 'animated WebP',
      fileName: 'anim.webp',
      fileType: 'image/webp',
      bytes: () => animated('webp'),
      expect: completed,
    },
    {
      name: 'Display P3 ICC profile',
      fileName: 'p3.jpg',
      fileType: 'image/jpeg',
      bytes: () => small().withIccProfile('p3').jpeg().toBuffer(),
      expect: completed,
    },
  ];
}
