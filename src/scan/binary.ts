import { extname } from 'node:path';

/** Extensions that are never text: skipped without reading a byte. */
const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico webp tif tiff psd svgz heic avif mp3 mp4 m4a wav ogg flac webm mov avi mkv ' +
    'zip gz tgz bz2 xz zst 7z rar tar jar war ear whl egg nupkg deb rpm dmg iso img apk aab ipa ' +
    'exe dll so dylib a o obj lib class pyc pyo wasm node bin dat db sqlite sqlite3 ' +
    'woff woff2 ttf otf eot pdf doc docx xls xlsx ppt pptx odt ods parquet avro orc feather npy npz pkl h5 onnx pt'
  ).split(' '),
);

/** Whether the file name alone says the file is binary. */
export function hasBinaryExtension(path: string): boolean {
  return BINARY_EXTENSIONS.has(extname(path).slice(1).toLowerCase());
}

/** How many leading bytes are checked for a NUL, as git does (its `buffer_is_binary`). */
export const SNIFF_BYTES = 8000;

/** Git's heuristic: a NUL byte in the first 8000 bytes means binary. UTF-16 text counts as binary too. */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}
