import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** A committed real photo from test/fixtures (see LICENSES.md there). */
export function fixture(
  name: 'astronaut.jpg' | 'chelsea.jpg' | 'coffee.jpg' | 'rocket.jpg' | 'page.png' | 'sign.jpg',
): Buffer {
  return readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)));
}

/** A photo scaled to the given size, for tests that need big or oddly shaped images. */
export function scaledPhoto(width: number, height: number, quality = 85): Promise<Buffer> {
  return sharp(fixture('chelsea.jpg')).resize(width, height, { fit: 'fill' }).jpeg({ quality }).toBuffer();
}

/** A JPEG with an EXIF orientation tag; the pixels are stored `width`×`height` as given. */
export function orientedJpeg(orientation: number, width = 300, height = 200): Promise<Buffer> {
  return sharp(fixture('coffee.jpg'))
    .resize(width, height, { fit: 'fill' })
    .withMetadata({ orientation })
    .jpeg()
    .toBuffer();
}

/** A JPEG carrying camera EXIF and a GPS position (Brussels). */
export function jpegWithGps(): Promise<Buffer> {
  return sharp(fixture('astronaut.jpg'))
    .withExif({
      IFD0: { Make: 'TestCam', Model: 'T-1000' },
      IFD2: {
        ISOSpeedRatings: '200',
        FNumber: '28/10',
        ExposureTime: '1/250',
        DateTimeOriginal: '2024:05:01 12:30:00',
      },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '50/1 50/1 0/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '4/1 21/1 0/1',
      },
    })
    .jpeg()
    .toBuffer();
}

export function solidPng(width: number, height: number, alpha = false): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: alpha ? 4 : 3, background: { r: 200, g: 40, b: 40, alpha: 0.5 } },
  })
    .png()
    .toBuffer();
}

/** An animated GIF of `frames` frames of `width`×`height`. */
export async function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  const colours = ['#3366cc', '#cc6633', '#33cc66'];
  const pngs = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 3, background: colours[i % colours.length] as string } })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(pngs, { join: { animated: true } })
    .gif()
    .toBuffer();
}
